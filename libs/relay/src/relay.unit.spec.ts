import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, type NewEvent } from '#event-store';
import { SqliteDb, uuidv7 } from '#persistence';
import { LocalLease } from './lease.js';
import type { OutboundMessage, Publisher } from './publisher.js';
import { Relay } from './relay.js';

/** The broker is replaced here only to drive acks and failures precisely; the int tests use a real one. */
class RecordingPublisher implements Publisher {
  sent: OutboundMessage[] = [];
  failNext = 0;
  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('broker unavailable');
    }
    this.sent.push(...messages);
  }
  async close(): Promise<void> {}
}

const actor = { sub: 'alice', scopes: ['registry:write'] };
const ev = (type: string, data: unknown, extra: Partial<NewEvent['metadata']> = {}): NewEvent => ({
  id: uuidv7(),
  type,
  schemaVersion: 1,
  data,
  metadata: { actor, correlationId: 'corr-1', ...extra },
});
const artifact = { uri: 's3://models/churn/1.0.0/model.onnx', digest: `sha256:${'a'.repeat(64)}`, format: 'onnx' };

describe('Relay (SQLite, recording publisher)', () => {
  let dir: string;
  let db: SqliteDb;
  let store: SqliteEventStore;
  let publisher: RecordingPublisher;
  const topics = { events: 'ev', promotions: 'promo' };
  const newRelay = () => new Relay(db, store, publisher, new LocalLease(), { name: 'r1', topics, batchSize: 3 });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ml-relay-'));
    db = new SqliteDb(join(dir, 'ledger.db'));
    store = await SqliteEventStore.open(db, { now: () => new Date('2026-01-02T03:04:05.000Z') });
    publisher = new RecordingPublisher();
    await store.append('model-churn', [ev('ModelCreated', { name: 'churn', owners: [], tags: {} })], { expectedRevision: 'no_stream' });
    await store.append(
      'model-churn',
      [ev('VersionRegistered', { version: '1.0.0', artifact, metrics: {}, params: {}, lineage: { image: { ref: 'serving/churn:1', digest: `sha256:${'b'.repeat(64)}` } }, tags: {} })],
      { expectedRevision: 0 },
    );
    await store.append(
      'model-churn',
      [
        ev('VersionPromoted', { version: '1.0.0', from: 'Staging', to: 'Production' }, { reason: 'release', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }),
        ev('AliasSet', { alias: 'prod', version: '1.0.0' }),
      ],
      { expectedRevision: 1 },
    );
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('maps events to CloudEvents keyed by model, promotions also to the promotions topic, and checkpoints after the ack', async () => {
    const relay = newRelay();
    expect(await relay.publishNextBatch()).toBe(3);
    expect(await relay.publishNextBatch()).toBe(1);
    expect(await relay.publishNextBatch()).toBe(0);
    expect(publisher.sent.map((m) => [m.topic, m.key, JSON.parse(m.value).type])).toEqual([
      ['ev', 'churn', 'dev.model-ledger.model.created.v1'],
      ['ev', 'churn', 'dev.model-ledger.version.registered.v1'],
      ['ev', 'churn', 'dev.model-ledger.version.promoted.v1'],
      ['promo', 'churn', 'dev.model-ledger.version.promoted.v1'],
      ['ev', 'churn', 'dev.model-ledger.alias.set.v1'],
      ['promo', 'churn', 'dev.model-ledger.alias.set.v1'],
    ]);
    const promoted = publisher.sent[3];
    const [stored] = (await store.readAll()).filter((e) => e.type === 'VersionPromoted');
    // Structured mode: no ce_ header at all (the SDKs take any ce_ header for binary mode).
    expect(promoted.headers).toEqual({ 'content-type': 'application/cloudevents+json; charset=UTF-8', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(JSON.parse(promoted.value)).toEqual({
      specversion: '1.0',
      id: stored.id,
      source: '/model-ledger/models/churn',
      type: 'dev.model-ledger.version.promoted.v1',
      subject: 'churn/1.0.0',
      time: '2026-01-02T03:04:05.000Z',
      datacontenttype: 'application/json',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      data: {
        model: 'churn',
        version: '1.0.0',
        stage: 'Production',
        fromStage: 'Staging',
        artifact: { uri: artifact.uri, digest: artifact.digest, format: 'onnx' },
        imageDigest: `sha256:${'b'.repeat(64)}`,
        imageRef: 'serving/churn:1',
        actor: 'alice',
        reason: 'release',
        correlationId: 'corr-1',
        position: 3,
        revision: 2,
        payload: { version: '1.0.0', from: 'Staging', to: 'Production' },
      },
    });
    expect((await relay.lag()).eventsBehind).toBe(0);
  });

  test('binary mode: every attribute but data is a ce_ header, content-type is application/json, the value is data', async () => {
    const relay = new Relay(db, store, publisher, new LocalLease(), { name: 'r1', topics, batchSize: 3, mode: 'binary' });
    expect(await relay.publishNextBatch()).toBe(3);
    const promoted = publisher.sent[3];
    const [stored] = (await store.readAll()).filter((e) => e.type === 'VersionPromoted');
    expect(promoted.headers).toEqual({
      'content-type': 'application/json',
      ce_specversion: '1.0',
      ce_id: stored.id,
      ce_source: '/model-ledger/models/churn',
      ce_type: 'dev.model-ledger.version.promoted.v1',
      ce_subject: 'churn/1.0.0',
      ce_time: '2026-01-02T03:04:05.000Z',
      ce_traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(JSON.parse(promoted.value)).toMatchObject({ model: 'churn', version: '1.0.0', stage: 'Production', position: 3, revision: 2 });
    expect(JSON.parse(promoted.value).specversion).toBeUndefined();
  });

  test('a failed publish leaves the checkpoint; the retry re-sends the same batch', async () => {
    const relay = newRelay();
    publisher.failNext = 1;
    await expect(relay.publishNextBatch()).rejects.toThrow('broker unavailable');
    expect(publisher.sent).toEqual([]);
    expect(await relay.lag()).toMatchObject({ eventsBehind: 4 });
    expect(await relay.publishNextBatch()).toBe(3);
    expect(publisher.sent.map((m) => JSON.parse(m.value).data.position)).toEqual([1, 2, 3, 3]);
    expect(await relay.lag()).toMatchObject({ eventsBehind: 1 });
  });

  test('a new relay resumes from the stored checkpoint and still finds the artifact of an earlier version', async () => {
    const first = newRelay();
    await first.publishNextBatch();
    publisher.sent = [];
    const second = newRelay();
    expect(await second.publishNextBatch()).toBe(1);
    const [alias] = publisher.sent.map((m) => JSON.parse(m.value));
    expect(alias.data).toMatchObject({ model: 'churn', version: '1.0.0', alias: 'prod', artifact: { uri: artifact.uri, digest: artifact.digest }, position: 4 });
  });

  test('a batch is cut at maxBatchBytes (at least one event per batch), keeping order', async () => {
    const relay = new Relay(db, store, publisher, new LocalLease(), { name: 'small', topics, maxBatchBytes: 1 });
    const sizes: number[] = [];
    while (true) {
      const before = publisher.sent.length;
      const n = await relay.publishNextBatch();
      if (n === 0) break;
      sizes.push(n);
      expect(publisher.sent.length).toBeGreaterThan(before);
    }
    expect(sizes).toEqual([1, 1, 1, 1]);
    expect(publisher.sent.filter((m) => m.topic === 'ev').map((m) => JSON.parse(m.value).data.position)).toEqual([1, 2, 3, 4]);
  });

  test('the running loop delivers appends as they happen and retries with backoff after failures', async () => {
    const relay = new Relay(db, store, publisher, new LocalLease(), { name: 'loop', topics, pollMs: 20, backoff: { initialMs: 5, maxMs: 20 } });
    publisher.failNext = 2;
    relay.start();
    const until = Date.now() + 5000;
    while (relay.status().position < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await store.append('model-churn', [ev('AliasSet', { alias: 'champion', version: '1.0.0' })], { expectedRevision: 3 });
    while (relay.status().position < 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await relay.stop();
    expect(publisher.sent.filter((m) => m.topic === 'ev').map((m) => JSON.parse(m.value).data.position)).toEqual([1, 2, 3, 4, 5]);
    expect(relay.status()).toMatchObject({ position: 5, consecutiveFailures: 0, published: 5 });
  });
});
