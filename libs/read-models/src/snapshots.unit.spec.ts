import { openSqliteStore } from '../../../test/support/stores.js';
import { snapshotStoreContract } from './snapshots.contract.js';

describe('snapshot store on SQLite', () => {
  snapshotStoreContract(() => openSqliteStore('snap'));
});
