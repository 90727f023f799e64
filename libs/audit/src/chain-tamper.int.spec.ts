import { PostgresDb } from '#persistence';
import { PostgresEventStore } from '#event-store';
import { createTestSchema, describePg } from '../../../test/support/pg.js';
import { chainTamperContract } from './contract/chain-tamper.contract.js';

describePg('hash chain tampering (PostgreSQL)', () => {
  chainTamperContract(async () => {
    const schema = await createTestSchema('chain');
    const db = new PostgresDb(schema.url, { max: 4 });
    const store = await PostgresEventStore.open(db, { now: () => new Date() });
    return {
      store,
      db,
      close: async () => {
        await store.close();
        await db.close();
        await schema.drop();
      },
    };
  });
});
