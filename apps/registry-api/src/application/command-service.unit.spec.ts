import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '#event-store';
import { SqliteDb, uuidv7 } from '#persistence';
import { ModelStreamReader } from '#read-models';
import { COMMAND_CACHE_MODELS, CommandService } from './command-service.js';

/** The command path's cache of model states: bounded, least recently used out. */
describe('CommandService cache', () => {
  let dir: string;
  let db: SqliteDb;
  let store: SqliteEventStore;
  const models = COMMAND_CACHE_MODELS + 1;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ml-commands-'));
    db = new SqliteDb(join(dir, 'ledger.db'));
    store = await SqliteEventStore.open(db, { now: () => new Date() });
    for (let m = 0; m < models; m++) {
      const event = { id: uuidv7(), type: 'ModelCreated', schemaVersion: 1, data: { name: `m${m}`, owners: [], tags: {} }, metadata: { actor: { sub: 'a', scopes: [] }, correlationId: uuidv7() } };
      await store.append(`model-m${m}`, [event], { expectedRevision: 'no_stream' });
    }
  });
  afterAll(async () => {
    await store.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`holds at most ${COMMAND_CACHE_MODELS} models: the least recently used goes to the stream reader again, a recently used one does not`, async () => {
    const reader = new ModelStreamReader(store, store);
    const cold: string[] = [];
    const stateAt = reader.stateAt.bind(reader);
    reader.stateAt = async (model, cut) => {
      cold.push(model);
      return stateAt(model, cut);
    };
    // load() touches only the store, its cache and the reader (no projector, no policy, no ids).
    const commands = new CommandService(store, undefined as never, undefined as never, undefined as never, reader);
    for (let m = 0; m < models - 1; m++) await commands.load(`m${m}`);
    await commands.load('m0'); // used again: now the most recent
    await commands.load(`m${models - 1}`); // one over the bound: m1, the least recently used, goes
    cold.length = 0;
    for (const m of ['m0', `m${models - 1}`, 'm2']) expect((await commands.load(m)).state.exists).toBe(true);
    expect(cold).toEqual([]);
    await commands.load('m1');
    expect(cold).toEqual(['m1']);
  });
});
