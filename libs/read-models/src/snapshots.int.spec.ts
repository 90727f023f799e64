import { describePg } from '../../../test/support/pg.js';
import { openPostgresStore } from '../../../test/support/stores.js';
import { snapshotStoreContract } from './snapshots.contract.js';

describePg('snapshot store on PostgreSQL', () => {
  snapshotStoreContract(() => openPostgresStore('snap'));
});
