import type { EventStore, RecordedEvent } from '#event-store';
import type { SqlDb } from '#persistence';
import { rebuildAndCompare } from '#read-models';
import type { Received } from '../../support/kafka.js';
import { collect, firstSeenByKey } from '../../support/kafka.js';
import { isModelStream } from '#domain';
import type { History, Op } from './history.js';

export async function readEverything(store: EventStore): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (let from = 0; ; ) {
    const page = await store.readAll({ fromPosition: from, limit: 2000 });
    if (page.length === 0) return all;
    all.push(...page);
    from = page[page.length - 1].position;
  }
}

export interface LedgerReport {
  events: number;
  streams: number;
  acknowledged: number;
  /** Acknowledged writes not stored. Must be empty. */
  lost: Op[];
  /** Writes stored more than once. Must be empty. */
  duplicated: Op[];
  /** Writes that definitely failed (refused, 4xx) yet are stored. Must be empty. */
  failedButStored: Op[];
  unknownStored: number;
  unknownAbsent: number;
  /** Streams whose revisions are not 0..n-1, and global position gaps. Must be empty. */
  gaps: string[];
  readModelsIdentical: boolean;
  readModelDifferences: unknown[];
}

/**
 * After a run: every acknowledged write stored exactly once, nothing definitely failed stored,
 * no revision gap in any stream, gapless global positions, and read models identical to a
 * fresh fold of the whole store.
 */
export async function checkLedger(store: EventStore, db: SqlDb, history: History, markerOf: (e: RecordedEvent) => string | undefined): Promise<LedgerReport> {
  const events = await readEverything(store);
  const byMarker = new Map<string, number>();
  const revisions = new Map<string, number[]>();
  const gaps: string[] = [];
  events.forEach((e, i) => {
    if (e.position !== i + 1) gaps.push(`position ${i + 1} holds ${e.position}`);
    const m = markerOf(e);
    if (m) byMarker.set(m, (byMarker.get(m) ?? 0) + 1);
    const list = revisions.get(e.stream) ?? [];
    list.push(e.revision);
    revisions.set(e.stream, list);
  });
  for (const [stream, revs] of revisions) {
    revs.forEach((r, i) => {
      if (r !== i) gaps.push(`${stream}: revision ${i} holds ${r}`);
    });
  }
  const stored = (op: Op) => byMarker.get(op.marker) ?? 0;
  const rebuilt = await rebuildAndCompare(db, store);
  return {
    events: events.length,
    streams: revisions.size,
    acknowledged: history.count('ok'),
    lost: history.ops.filter((o) => o.outcome === 'ok' && stored(o) === 0),
    duplicated: history.ops.filter((o) => stored(o) > 1),
    failedButStored: history.ops.filter((o) => o.outcome === 'fail' && stored(o) > 0),
    unknownStored: history.ops.filter((o) => o.outcome === 'unknown' && stored(o) === 1).length,
    unknownAbsent: history.ops.filter((o) => o.outcome === 'unknown' && stored(o) === 0).length,
    gaps: gaps.slice(0, 20),
    readModelsIdentical: rebuilt.identical,
    readModelDifferences: rebuilt.differences,
  };
}

/** Reads `topic` until every model event of the store has arrived once (2 min at most), then checks the delivery. */
export async function awaitRelayDelivery(events: RecordedEvent[], topic: string): Promise<ReturnType<typeof checkRelayDelivery>> {
  const consumer = await collect([topic]);
  const expected = events.filter((e) => isModelStream(e.stream)).length;
  await consumer.waitFor((received) => new Set(received.map((m) => m.value.id)).size >= expected, 120_000);
  await consumer.stop();
  return checkRelayDelivery(events, consumer.received);
}

/** Every model event arrived (first copy of each id), in store order per model. */
export function checkRelayDelivery(events: RecordedEvent[], received: Received[]): { expected: number; delivered: number; missing: number; outOfOrder: string[] } {
  const perModel = new Map<string, string[]>();
  for (const e of events) {
    if (!isModelStream(e.stream)) continue;
    const model = e.stream.slice('model-'.length);
    const list = perModel.get(model) ?? [];
    list.push(e.id);
    perModel.set(model, list);
  }
  const got = firstSeenByKey(received);
  const outOfOrder: string[] = [];
  let expected = 0;
  let missing = 0;
  for (const [model, ids] of perModel) {
    expected += ids.length;
    const arrived = got.get(model) ?? [];
    const set = new Set(arrived);
    missing += ids.filter((id) => !set.has(id)).length;
    const order = arrived.filter((id) => ids.includes(id));
    if (order.join() !== ids.filter((id) => set.has(id)).join()) outOfOrder.push(model);
  }
  const delivered = [...got.values()].reduce((n, l) => n + l.length, 0);
  return { expected, delivered, missing, outOfOrder };
}
