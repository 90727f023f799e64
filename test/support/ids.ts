import { uuidv7 } from '../../libs/persistence/src/uuidv7.js';
export { uuidv7 };
