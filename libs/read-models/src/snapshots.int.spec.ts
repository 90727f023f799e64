import { PostgresDb } from '#persistence';
import { PostgresEventStore } from '#event-store';
import { createTestSchema, describePg } from '../../../test/support/pg.js';
import { snapshotStoreContract } from './snapshots.contract.js';

describePg('snapshot store on PostgreSQL', () => {
  snapshotStoreContract(async () => {
    const schema = await createTestSchema('snap');
    const db = new PostgresDb(schema.url);
    const store = await PostgresEventStore.open(db, { now: () => new Date() });
    return {
      db,
      store,
      close: async () => {
        await store.close();
        await db.close();
        await schema.drop();
      },
    };
  });
});
