import { Mutex } from '#persistence';

/**
 * One critical section per key at a time in this process (a model's stream, a link's jti);
 * across processes the append's expected revision decides. A key's lock is dropped when nobody
 * holds or waits for it, so the map does not grow with every key ever seen.
 */
export class KeyedMutex {
  private readonly locks = new Map<string, { mutex: Mutex; users: number }>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let entry = this.locks.get(key);
    if (!entry) this.locks.set(key, (entry = { mutex: new Mutex(), users: 0 }));
    entry.users++;
    try {
      return await entry.mutex.run(fn);
    } finally {
      if (--entry.users === 0) this.locks.delete(key);
    }
  }

  /** Keys held or waited for now. */
  get size(): number {
    return this.locks.size;
  }
}
