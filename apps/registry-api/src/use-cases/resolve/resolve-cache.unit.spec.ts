import type { EventStore } from '#event-store';
import type { Projector } from '#read-models';
import { ResolveCache, answerOf, matchesIfNoneMatch } from './resolve-cache.js';

/** The read model's position and the streams written at each position, as the cache sees them. */
function fixture() {
  const state = { position: 0, streams: new Map<number, string>() };
  const projector = { status: () => ({ position: state.position, lastProgressAt: 0 }) } as unknown as Projector;
  const store = {
    streamsBetween: async (from: number, to: number) => [...new Set([...state.streams].filter(([p]) => p > from && p <= to).map(([, s]) => s))],
  } as unknown as EventStore;
  const write = (stream: string) => {
    state.position += 1;
    state.streams.set(state.position, stream);
  };
  return { cache: new ResolveCache(store, projector), write };
}

describe('answerOf', () => {
  test('the body is the JSON text, its length counted in UTF-8 bytes, the ETag a digest of it (changes with any byte)', () => {
    const a = answerOf({ name: 'ünïcode', version: '1.0.0' });
    expect(a.body).toBe(JSON.stringify({ name: 'ünïcode', version: '1.0.0' }));
    expect(a.length).toBe(Buffer.from(a.body, 'utf8').length);
    expect(a.length).toBeGreaterThan(a.body.length);
    expect(a.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(answerOf({ name: 'ünïcode', version: '1.0.0' }).etag).toBe(a.etag);
    expect(answerOf({ name: 'ünïcode', version: '1.0.1' }).etag).not.toBe(a.etag);
  });
});

describe('ResolveCache', () => {
  test('a change to a model forgets every answer of that model and keeps the others', async () => {
    const { cache, write } = fixture();
    write('model-a');
    write('model-b');
    await cache.refresh();
    await cache.fill('Production\u0000models:/a@prod', 'a', async () => answerOf({ v: 'a1' }));
    await cache.fill('any\u0000models:/a@prod', 'a', async () => answerOf({ v: 'a1' }));
    await cache.fill('Production\u0000models:/b@prod', 'b', async () => answerOf({ v: 'b1' }));
    expect(cache.lookup('Production\u0000models:/a@prod')).toEqual(answerOf({ v: 'a1' }));

    write('model-a');
    write('$policy');
    // Behind the read model: nothing is served until the change is applied here.
    expect(cache.lookup('Production\u0000models:/b@prod')).toBeUndefined();
    await cache.refresh();
    expect(cache.lookup('Production\u0000models:/a@prod')).toBeUndefined();
    expect(cache.lookup('any\u0000models:/a@prod')).toBeUndefined();
    expect(cache.lookup('Production\u0000models:/b@prod')).toEqual(answerOf({ v: 'b1' }));
  });

  test('past maxEntries the least recently used answer goes; one polled since half the capacity was inserted stays', async () => {
    const { cache, write } = fixture();
    write('model-a');
    await cache.refresh();
    cache.maxEntries = 4;
    const key = (m: string) => `Production\u0000models:/${m}@prod`;
    for (const m of ['a', 'b', 'c', 'd']) await cache.fill(key(m), m, async () => answerOf({ m }));
    expect(cache.lookup(key('a'))).toEqual(answerOf({ m: 'a' })); // 3 inserted after it: moves to the young end
    expect(cache.lookup(key('c'))).toEqual(answerOf({ m: 'c' })); // 1 inserted after it: stays where it is
    await cache.fill(key('e'), 'e', async () => answerOf({ m: 'e' }));
    expect(cache.size).toBe(4);
    expect(cache.lookup(key('b'))).toBeUndefined();
    for (const m of ['a', 'c', 'd', 'e']) expect(cache.lookup(key(m))).toEqual(answerOf({ m }));
  });

  test('a fill that read before a change to its model is not kept', async () => {
    const { cache, write } = fixture();
    write('model-a');
    await cache.refresh();
    let release!: () => void;
    const loaded = new Promise<void>((r) => (release = r));
    const filling = cache.fill('Production\u0000models:/a@prod', 'a', async () => {
      await loaded;
      return answerOf({ v: 'old' });
    });
    write('model-a');
    await cache.refresh();
    release();
    expect(await filling).toEqual(answerOf({ v: 'old' })); // answered to its own caller
    expect(cache.lookup('Production\u0000models:/a@prod')).toBeUndefined(); // but never to a later one
  });

  test('the ETag is a digest of exactly the body; If-None-Match lists, weak tags and * match, others do not', () => {
    const a = answerOf({ v: 1 });
    expect(answerOf({ v: 1 }).etag).toBe(a.etag);
    expect(answerOf({ v: 2 }).etag).not.toBe(a.etag);
    expect(matchesIfNoneMatch(a.etag, a.etag)).toBe(true);
    expect(matchesIfNoneMatch(`"x", W/${a.etag}`, a.etag)).toBe(true);
    expect(matchesIfNoneMatch('*', a.etag)).toBe(true);
    expect(matchesIfNoneMatch('"x"', a.etag)).toBe(false);
    expect(matchesIfNoneMatch(undefined, a.etag)).toBe(false);
  });
});
