import { READ_MODEL_TABLES, tableDdl } from './tables.js';

describe('read-model DDL', () => {
  test.each(['sqlite', 'postgres'] as const)('without secondary indexes (%s): the same tables and keys, no CREATE INDEX', (dialect) => {
    for (const table of READ_MODEL_TABLES) {
      const full = tableDdl(table, `rb_${table}`, dialect);
      const bare = tableDdl(table, `rb_${table}`, dialect, { secondaryIndexes: false });
      expect(bare).not.toMatch(/CREATE INDEX/);
      expect(bare).toBe(full.split('\nCREATE INDEX')[0]);
      expect(bare).toMatch(/PRIMARY KEY/);
    }
    expect(tableDdl('audit', 'rm_audit', dialect).match(/CREATE INDEX/g)).toHaveLength(4);
  });
});
