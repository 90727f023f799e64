import { describePg } from '../../../test/support/pg.js';
import { openPostgresStore } from '../../../test/support/stores.js';
import { projectorContract } from './projector.contract.js';

describePg('Projector on PostgreSQL', () => {
  projectorContract(() => openPostgresStore('rm'));
});
