import { openSqliteStore } from '../../../test/support/stores.js';
import { projectionVersionsContract } from './projection-versions.contract.js';

describe('projection versions on SQLite', () => {
  projectionVersionsContract(() => openSqliteStore('pv'));
});
