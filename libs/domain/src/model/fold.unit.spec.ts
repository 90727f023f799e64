import { performance } from 'node:perf_hooks';
import { evolve, fold } from './decider.js';
import type { RecordedModelEvent } from './events.js';
import { initialModelState, type ModelState } from './types.js';

/** Issue 14 §4: folding a stream is linear in its length and never changes the state it starts from. */
const actor = { sub: 'alice', scopes: [] };
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** A realistic stream of `n` events: many versions, each registered, gated, staged, some aliased, approved, promoted. */
function stream(n: number): RecordedModelEvent[] {
  const out: RecordedModelEvent[] = [];
  const push = (type: string, data: unknown) => {
    if (out.length < n) out.push({ type, data, actor, recordedAt: `t${out.length}`, revision: out.length } as RecordedModelEvent);
  };
  push('ModelCreated', { name: 'm', owners: ['team'], tags: {} });
  for (let i = 0; out.length < n; i++) {
    const version = `1.${i}.0`;
    push('VersionRegistered', { version, artifact: { uri: `s3://m/${i}`, digest: digest(i + 1), format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} });
    push('GatePassed', { version, gate: 'eval', metrics: { auc: 0.9 } });
    push('StageChanged', { version, from: 'None', to: 'Staging' });
    if (i % 3 === 0) push('AliasSet', { alias: 'candidate', version });
    if (i % 5 === 0) push('VersionApproved', { version, approvals: 1, required: 1 });
    if (i % 7 === 0) push('AliasRemoved', { alias: 'candidate', version });
    if (i % 10 === 0) push('VersionPromoted', { version, from: 'Staging', to: 'Production' });
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Fastest of several runs (after a warm-up), so a GC pause or a busy core does not decide the outcome. */
function fastest(events: RecordedModelEvent[], runs = 7): number {
  fold(initialModelState('m'), events);
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fold(initialModelState('m'), events);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

describe('fold', () => {
  test('gives the same state as applying evolve event by event', () => {
    const events = stream(500);
    const byEvolve = events.reduce(evolve, initialModelState('m'));
    const byFold = fold(initialModelState('m'), events);
    expect(byFold).toEqual(byEvolve);
    expect(byFold.revision).toBe(499);
    expect(Object.keys(byFold.versions).length).toBeGreaterThan(50);
  });

  test('never changes the state it starts from, nor a state it returned before (snapshots stay valid)', () => {
    const events = stream(400);
    const half: ModelState = deepFreeze(fold(initialModelState('m'), events.slice(0, 200)));
    const copy = structuredClone(half);
    // Frozen: any in-place change to the starting state or its versions would throw here (ESM is strict).
    const full = fold(half, events.slice(200));
    expect(half).toEqual(copy);
    expect(full).toEqual(fold(initialModelState('m'), events));
    const one = evolve(half, events[200]);
    expect(one.revision).toBe(200);
    expect(half).toEqual(copy);
  });

  test('folding 10k events costs about 10x folding 1k, not 100x (ratio of the fastest runs, generous bound)', () => {
    const small = stream(1_000);
    const large = stream(10_000);
    const ratio = fastest(large) / fastest(small);
    // Linear is ~10; the old per-event copy of the versions map was ~100 (quadratic).
    expect(ratio).toBeLessThan(35);
  });
});
