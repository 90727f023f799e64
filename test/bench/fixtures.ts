import { join } from 'node:path';
import { SqliteDb } from '#persistence';
import { SqliteEventStore, type EventStore, type NewEvent } from '#event-store';

/** mulberry32: a small seeded PRNG, so every run writes the same fixture. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic ids shaped as UUIDv7 (timestamp from a fixed base, the rest from the PRNG). */
export function idSource(seed: number): () => string {
  const rand = prng(seed ^ 0x9e3779b9);
  let ms = Date.UTC(2026, 0, 1);
  return () => {
    ms += 1;
    const hex = (n: number, len: number) => Math.floor(n).toString(16).padStart(len, '0').slice(-len);
    const t = hex(ms, 12);
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${hex(rand() * 0xfff, 3)}-${(8 + Math.floor(rand() * 4)).toString(16)}${hex(rand() * 0xfff, 3)}-${hex(rand() * 0xffffff, 6)}${hex(rand() * 0xffffff, 6)}`;
  };
}

/** A clock that advances 1 ms per read from a fixed instant: recordedAt (and so every hash) repeats run to run. */
export function fixtureClock(): { now(): Date } {
  let ms = Date.UTC(2026, 0, 1);
  return { now: () => new Date(ms++) };
}

export class Fixture {
  readonly rand: () => number;
  readonly id: () => string;
  constructor(seed: number) {
    this.rand = prng(seed);
    this.id = idSource(seed);
  }
  digest(): string {
    let s = 'sha256:';
    for (let i = 0; i < 8; i++) s += Math.floor(this.rand() * 0xffffffff).toString(16).padStart(8, '0');
    return s;
  }
  ev(type: string, data: unknown): NewEvent {
    return { id: this.id(), type, schemaVersion: 1, data, metadata: { actor: { sub: 'bench', scopes: [] }, correlationId: this.id() } };
  }
  registered(name: string, version: string): NewEvent {
    return this.ev('VersionRegistered', {
      version,
      artifact: { uri: `s3://models/${name}/${version}/model.onnx`, digest: this.digest(), sizeBytes: 1_000_000 + Math.floor(this.rand() * 1e6), format: 'onnx' },
      metrics: { auc: Math.round((0.8 + this.rand() / 10) * 1e4) / 1e4 },
      params: { lr: 0.01 },
      lineage: { runId: `run-${Math.floor(this.rand() * 1e9)}`, gitCommit: 'a'.repeat(40), datasetHash: this.digest() },
      tags: {},
    });
  }
  gate(version: string): NewEvent {
    return this.ev('GatePassed', { version, gate: `gate-${Math.floor(this.rand() * 7)}`, metrics: { auc: Math.round(this.rand() * 1e4) / 1e4 } });
  }
}

/** `models` models × `versions` versions, the last approved, in Production and behind @prod: one append per model. */
export async function seedRegistry(store: EventStore, fx: Fixture, models: number, versions: number): Promise<void> {
  for (let m = 0; m < models; m++) {
    const name = `bench-${m}`;
    const events: NewEvent[] = [fx.ev('ModelCreated', { name, owners: ['bench'], tags: { tier: String(m % 3) } })];
    for (let v = 0; v < versions; v++) events.push(fx.registered(name, `1.${v}.0`));
    const last = `1.${versions - 1}.0`;
    events.push(fx.ev('VersionApproved', { version: last, approvals: 1, required: 1 }));
    events.push(fx.ev('VersionPromoted', { version: last, from: 'None', to: 'Production' }));
    events.push(fx.ev('AliasSet', { alias: 'prod', version: last }));
    await store.append(`model-${name}`, events, { expectedRevision: 'no_stream' });
  }
}

/**
 * About `total` events in a registry's mix: models with registered versions and many gate results,
 * appended in chunks of up to 500 events per append.
 */
export async function seedHistory(store: EventStore, fx: Fixture, total: number, onProgress?: (n: number) => void): Promise<number> {
  let written = 0;
  let m = 0;
  while (written < total) {
    const name = `hist-${m++}`;
    const events: NewEvent[] = [fx.ev('ModelCreated', { name, owners: ['bench'], tags: {} })];
    for (let v = 0; v < 10; v++) events.push(fx.registered(name, `1.${v}.0`));
    await store.append(`model-${name}`, events, { expectedRevision: 'no_stream' });
    written += events.length;
    let rev = events.length - 1;
    const gates = Math.min(total - written, 490);
    for (let done = 0; done < gates; ) {
      const n = Math.min(490, gates - done);
      const chunk = Array.from({ length: n }, () => fx.gate(`1.${Math.floor(fx.rand() * 10)}.0`));
      await store.append(`model-${name}`, chunk, { expectedRevision: rev });
      rev += n;
      done += n;
      written += n;
    }
    onProgress?.(written);
  }
  return written;
}

/** `ledger.db` in `dir` seeded with `models` × `versions` (seed 42), closed again: the resolve profile's and A/B's fixture. */
export async function seedSqliteRegistry(dir: string, models: number, versions: number): Promise<void> {
  const db = new SqliteDb(join(dir, 'ledger.db'));
  const store = await SqliteEventStore.open(db, process.env.AB_CLOCK === 'now' ? { now: () => new Date() } : fixtureClock());
  await seedRegistry(store, new Fixture(42), models, versions);
  await store.close();
  await db.close();
}
