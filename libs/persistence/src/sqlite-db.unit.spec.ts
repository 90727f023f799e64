import { SqliteDb } from './sqlite-db.js';

describe('SqliteDb parameters', () => {
  test('an array parameter (PostgreSQL unnest only) is refused with a clear error, not bound as something else', async () => {
    const db = new SqliteDb(':memory:');
    try {
      await db.exec('CREATE TABLE t (v TEXT)');
      await expect(db.run('INSERT INTO t (v) VALUES (?)', [['a', 'b']])).rejects.toThrow('SQLite cannot bind an array parameter');
      await expect(db.query('SELECT v FROM t WHERE v = ?', [['a']])).rejects.toThrow('SQLite cannot bind an array parameter');
      expect(await db.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
      await db.run('INSERT INTO t (v) VALUES (?)', ['a']);
      expect(await db.query('SELECT v FROM t WHERE v = ?', ['a'])).toEqual([{ v: 'a' }]);
    } finally {
      await db.close();
    }
  });
});
