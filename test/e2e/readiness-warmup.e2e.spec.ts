import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandService } from '../../apps/registry-api/src/application/command-service.js';
import { SqliteEventStore, type NewEvent } from '#event-store';
import { SqliteDb, uuidv7 } from '#persistence';
import { startTestApp, digest } from '../support/app.js';

/** Issue 14 §4: ready means ready for writes at normal latency — the hot model streams are folded before. */
test('on start the most recently written model streams are folded before /health/ready says ok', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-warm-'));
  {
    const db = new SqliteDb(join(dir, 'ledger.db'));
    const store = await SqliteEventStore.open(db, { now: () => new Date() });
    const actor = { sub: 'seed', scopes: [] };
    const ev = (type: string, data: unknown): NewEvent => ({ id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor, correlationId: uuidv7() } });
    for (const [m, name] of ['churn', 'fraud', 'ltv'].entries()) {
      const events = [ev('ModelCreated', { name, owners: [], tags: {} })];
      for (let i = 0; i < 300; i++) {
        events.push(ev('VersionRegistered', { version: `1.${i}.0`, artifact: { uri: `s3://${name}/${i}`, digest: digest(m * 1000 + i + 1), format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} }));
      }
      await store.append(`model-${name}`, events, { expectedRevision: 'no_stream' });
    }
    await store.append('$internal-test', [ev('InternalNote', {})], { expectedRevision: 'any' });
    await db.close();
  }
  const t = await startTestApp('sqlite', { DATA_DIR: dir });
  try {
    let ready = await t.call('GET', '/health/ready');
    for (const until = Date.now() + 30_000; ready.status !== 200 && Date.now() < until; ) {
      expect(ready.body.checks.warmup.status).toBe('warming');
      await new Promise((r) => setTimeout(r, 100));
      ready = await t.call('GET', '/health/ready');
    }
    expect(ready.status).toBe(200);
    // Three model streams (the internal one is not a model) were folded into the command cache.
    expect(ready.body.checks.warmup).toEqual({ status: 'ok', streams: 3 });
    const commands = t.app.get(CommandService);
    const reads: string[] = [];
    const original = t.store.readStream.bind(t.store);
    t.store.readStream = async (stream, options) => {
      reads.push(`${stream}@${options?.fromRevision ?? 0}`);
      return original(stream, options);
    };
    // A load after warm-up reads only what is new (nothing): the stream is not folded again.
    const { state } = await commands.load('churn');
    expect(Object.keys(state.versions)).toHaveLength(300);
    expect(reads).toEqual(['model-churn@301']);
  } finally {
    await t.close();
  }
});
