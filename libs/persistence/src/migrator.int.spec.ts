import { createTestSchema, describePg } from '../../../test/support/pg.js';
import { migratorContract } from './contract/migrator.contract.js';
import { PostgresDb } from './postgres-db.js';

describePg('schema migrations on PostgreSQL', () => {
  migratorContract(async () => {
    const schema = await createTestSchema('mig');
    const db = new PostgresDb(schema.url, { max: 2 });
    return {
      db,
      openOther: () => new PostgresDb(schema.url, { max: 2 }),
      close: async () => {
        await db.close();
        await schema.drop();
      },
    };
  }, { replicas: true });
});
