import { describePg } from '../../../test/support/pg.js';
import { openPostgresStore } from '../../../test/support/stores.js';
import { projectionVersionsContract } from './projection-versions.contract.js';

describePg('projection versions on PostgreSQL', () => {
  projectionVersionsContract(() => openPostgresStore('pv'));
});
