import { createTestSchema, describePg } from '../../../test/support/pg.js';
import { PostgresDb } from '#persistence';
import { upcastingContract } from './contract/upcasting.contract.js';
import { PostgresEventStore } from './postgres-event-store.js';

describePg('event upcasting on PostgreSQL', () => {
  upcastingContract(async () => {
    const schema = await createTestSchema('upc');
    const db = new PostgresDb(schema.url, { max: 2 });
    return {
      db,
      open: (options) => PostgresEventStore.open(db, { now: () => new Date() }, options),
      close: async () => {
        await db.close();
        await schema.drop();
      },
    };
  });
});
