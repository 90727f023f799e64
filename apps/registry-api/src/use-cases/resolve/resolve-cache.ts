import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { modelNameOfStream } from '#domain';
import type { EventStore } from '#event-store';
import { Projector } from '#read-models';
import { EVENT_STORE } from '../../infrastructure/tokens.js';

/** A resolve response as sent: the JSON text, its length in bytes and its strong ETag (a digest of exactly that text). */
export interface ResolvedAnswer {
  body: string;
  /** UTF-8 bytes of `body`, counted once for Content-Length. */
  length: number;
  etag: string;
}

export function answerOf(value: unknown): ResolvedAnswer {
  const body = JSON.stringify(value);
  // Kept as text, not as a Buffer: Node writes a text body and the headers in one write (a Buffer
  // body takes a writev of two parts; measured ~2-3 µs CPU more per poll), and a small Buffer would
  // be a slice pinning a whole 8 KB slab of Node's shared pool for as long as the answer is kept.
  return { body, length: Buffer.byteLength(body), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/** RFC 9110 If-None-Match: `*` or a list of entity tags, compared weakly (W/ ignored). */
export function matchesIfNoneMatch(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return true;
  return value.split(',').some((tag) => {
    const t = tag.trim();
    return (t.startsWith('W/') ? t.slice(2) : t) === etag;
  });
}

/** Past this many positions behind, forgetting everything is cheaper than asking which models changed. */
const FORGET_ALL_GAP = 50_000;

/**
 * The resolve index: answers by (uri, stage), so a poll of `models:/m@prod` touches no database.
 * Entries are forgotten per model as the read model moves: before a hit is served, every position
 * the read model holds (`Projector.status().position`, which also moves when another replica
 * projected, via NOTIFY or the poll) must have been applied here; until then lookups miss and go
 * to the read model. A fill that raced with a change to its model is not kept.
 */
@Injectable()
export class ResolveCache {
  private readonly entries = new Map<string, { model: string; answer: ResolvedAnswer; inserted: number }>();
  /** Entries inserted (or moved to the young end) so far: an entry's age in inserts. */
  private inserted = 0;
  private readonly keysByModel = new Map<string, Set<string>>();
  /** Generation of the last forget per model (and of the last forget-all): fills older than it are dropped. */
  private readonly forgotten = new Map<string, number>();
  private forgotAll = 0;
  private generation = 0;
  private fillsInFlight = 0;
  /** Read-model position through which changes have been forgotten here. */
  private position = -1;
  private refreshing?: Promise<void>;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projector: Projector,
  ) {}

  /** Most answers kept (least recently used dropped first): about 1 KB each. */
  maxEntries = 20_000;

  get size(): number {
    return this.entries.size;
  }

  /** True when no change the read model holds is still unapplied here; otherwise starts applying. */
  isCurrent(): boolean {
    if (this.position >= this.projector.status().position) return true;
    void this.refresh();
    return false;
  }

  lookup(key: string): ResolvedAnswer | undefined {
    if (!this.isCurrent()) return undefined;
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    // Least recently used, roughly: a hit moves to the young end only once half the capacity was
    // inserted after it, instead of a delete and an insert on every poll.
    if (this.inserted - hit.inserted > this.maxEntries / 2) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      hit.inserted = ++this.inserted;
    }
    return hit.answer;
  }

  /** Loads an answer from the read model and keeps it unless its model changed meanwhile. */
  async fill(key: string, model: string, load: () => Promise<ResolvedAnswer>): Promise<ResolvedAnswer> {
    const startedAt = this.generation;
    this.fillsInFlight++;
    try {
      const answer = await load();
      // Forgets run synchronously right after a generation bump, so a fill that started in the same
      // generation read after them; one that started earlier may hold what they removed.
      if ((this.forgotten.get(model) ?? -1) <= startedAt && this.forgotAll <= startedAt) this.keep(key, model, answer);
      return answer;
    } finally {
      this.fillsInFlight--;
      if (this.fillsInFlight === 0) this.forgotten.clear();
    }
  }

  /** Applies the read model's progress: forgets the models written since the last refresh. */
  refresh(): Promise<void> {
    this.refreshing ??= this.applyProgress()
      .catch(() => undefined) // the store is unreachable: lookups keep missing, the next one retries
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private async applyProgress(): Promise<void> {
    for (;;) {
      const to = this.projector.status().position;
      if (to <= this.position) return;
      this.generation++;
      if (this.position < 0 || to - this.position > FORGET_ALL_GAP) {
        this.forgetAll();
      } else {
        const streams = await this.store.streamsBetween(this.position, to);
        this.generation++;
        for (const s of streams) {
          const model = modelNameOfStream(s);
          if (model !== null) this.forget(model);
        }
      }
      this.position = to;
    }
  }

  private keep(key: string, model: string, answer: ResolvedAnswer): void {
    this.entries.delete(key);
    this.entries.set(key, { model, answer, inserted: ++this.inserted });
    let keys = this.keysByModel.get(model);
    if (!keys) this.keysByModel.set(model, (keys = new Set()));
    keys.add(key);
    if (this.entries.size > this.maxEntries) {
      const [oldKey, old] = this.entries.entries().next().value!;
      this.entries.delete(oldKey);
      this.keysByModel.get(old.model)?.delete(oldKey);
      if (this.keysByModel.get(old.model)?.size === 0) this.keysByModel.delete(old.model);
    }
  }

  private forget(model: string): void {
    if (this.fillsInFlight > 0) this.forgotten.set(model, this.generation);
    const keys = this.keysByModel.get(model);
    if (!keys) return;
    for (const k of keys) this.entries.delete(k);
    this.keysByModel.delete(model);
  }

  private forgetAll(): void {
    this.forgotAll = this.generation;
    this.entries.clear();
    this.keysByModel.clear();
  }
}
