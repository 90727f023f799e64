import { PostgresDb } from '#persistence';
import { PostgresEventStore } from '#event-store';
import { createTestSchema, describePg } from '../../../test/support/pg.js';
import { projectorContract } from './projector.contract.js';

describePg('Projector on PostgreSQL', () => {
  projectorContract(async () => {
    const schema = await createTestSchema('rm');
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
