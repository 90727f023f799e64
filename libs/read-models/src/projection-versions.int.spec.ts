import { PostgresDb } from '#persistence';
import { PostgresEventStore } from '#event-store';
import { createTestSchema, describePg } from '../../../test/support/pg.js';
import { projectionVersionsContract } from './projection-versions.contract.js';

describePg('projection versions on PostgreSQL', () => {
  projectionVersionsContract(async () => {
    const schema = await createTestSchema('pv');
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
