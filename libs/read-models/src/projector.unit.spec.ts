import { openSqliteStore } from '../../../test/support/stores.js';
import { projectorContract } from './projector.contract.js';

describe('Projector on SQLite', () => {
  projectorContract(() => openSqliteStore('rm'));
});
