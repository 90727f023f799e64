import { KeyedMutex } from './keyed-mutex.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('KeyedMutex', () => {
  it('runs sections of one key one after another, in arrival order', async () => {
    const locks = new KeyedMutex();
    const gate = deferred();
    const entered = deferred();
    const order: string[] = [];
    const first = locks.run('model-a', async () => {
      order.push('first in');
      entered.resolve();
      await gate.promise;
      order.push('first out');
    });
    const second = locks.run('model-a', async () => {
      order.push('second');
    });
    await entered.promise;
    // Give the second section every chance to (wrongly) run while the first holds the key.
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['first in']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second']);
  });

  it('lets other keys through while one key is held', async () => {
    const locks = new KeyedMutex();
    const gate = deferred();
    const held = locks.run('model-a', () => gate.promise);
    await expect(locks.run('model-b', async () => 'b done')).resolves.toBe('b done');
    gate.resolve();
    await held;
  });

  it('a failing section releases the key, and the key is forgotten once nobody uses it', async () => {
    const locks = new KeyedMutex();
    await expect(locks.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(locks.run('k', async () => 42)).resolves.toBe(42);
    expect(locks.size).toBe(0);
  });
});
