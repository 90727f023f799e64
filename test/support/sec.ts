import type { TestApp } from './app.js';

/**
 * Runs an attack and asserts it appended nothing: the store's head is where it was before.
 * Suites using it start the app with AUDIT_CHECKPOINT_EVERY_EVENTS high enough that no audit
 * checkpoint can land in between, so "nothing" means nothing at all.
 */
export async function expectNothingWritten<T>(t: TestApp, attack: () => Promise<T>): Promise<T> {
  const before = await t.store.headPosition();
  const result = await attack();
  expect(await t.store.headPosition()).toBe(before);
  return result;
}

/** App settings for attack suites: no background checkpoint appends that would blur "no event written". */
export const SEC_ENV = { AUDIT_CHECKPOINT_EVERY_EVENTS: '10000000', AUDIT_CHECKPOINT_INTERVAL_MINUTES: '0' };
