import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const DATABASE_URL = process.env.DATABASE_URL;

/** Says plainly in the output that PostgreSQL suites were skipped, instead of passing silently. */
export function describePg(name: string, fn: () => void): void {
  if (DATABASE_URL) {
    describe(name, fn);
  } else {
    describe(name, () => {
      test.skip('skipped: DATABASE_URL unset', () => undefined);
    });
    console.warn(`skipped: DATABASE_URL unset — ${name}`);
  }
}

/** A fresh schema per suite, so suites can run against one database without seeing each other. */
export async function createTestSchema(prefix = 't'): Promise<{ url: string; schema: string; drop: () => Promise<void> }> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(DATABASE_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}
