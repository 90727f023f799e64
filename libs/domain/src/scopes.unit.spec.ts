import { globMatches, hasScope, isValidModelName, scopeCovers } from './scopes.js';

/** The obvious regex translation, kept here only as the reference the linear matcher must agree with. */
const reference = (pattern: string, text: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*')}$`, 's').test(text);

describe('scope pattern matching', () => {
  test.each([
    ['fraud-*', 'fraud-eu', true],
    ['fraud-*', 'fraud-', true],
    ['fraud-*', 'fraud', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['**', 'x', true],
    ['*-eu', 'fraud-eu', true],
    ['*-eu', 'fraud-us', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false], // head and tail may not overlap
    ['ab*ba', 'abba', true],
    ['*a*a', 'aa', true],
    ['*a*a', 'a', false],
    ['a.b', 'axb', false], // dots are literal
    ['*-*-*-x', '-'.repeat(1600), false],
    ['*-*-*-x', '---x', true],
  ])('%s against %s → %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text)).toBe(expected);
    expect(reference(pattern, text)).toBe(expected);
  });

  test('agrees with the regex translation on every short pattern and text over a small alphabet', () => {
    // Exhaustive over patterns up to 4 characters from {a, b, *} and texts up to 5 from {a, b}.
    const words = (alphabet: string[], max: number) => {
      const out = [''];
      for (let i = 0, frontier = ['']; i < max; i++) {
        frontier = frontier.flatMap((w) => alphabet.map((c) => w + c));
        out.push(...frontier);
      }
      return out;
    };
    const mismatches: string[] = [];
    for (const p of words(['a', 'b', '*'], 4)) {
      for (const t of words(['a', 'b'], 5)) {
        if (globMatches(p, t) !== reference(p, t)) mismatches.push(`${p} vs ${t}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  test('a qualified scope never covers an invalid model name, checked before matching', () => {
    expect(isValidModelName('churn')).toBe(true);
    expect(isValidModelName('a'.repeat(128))).toBe(true);
    for (const bad of ['', 'a'.repeat(129), '-'.repeat(1600), 'Churn', 'churn\u0000', 'a/b', '-x']) expect(isValidModelName(bad)).toBe(false);
    // `*` would match anything, so only the name check keeps these out.
    expect(scopeCovers('registry:read:*', 'registry:read', 'a'.repeat(129))).toBe(false);
    expect(scopeCovers('registry:read:*', 'registry:read', 'churn\u0000')).toBe(false);
    expect(scopeCovers('registry:read:*-*-*-x', 'registry:read', '-'.repeat(1600))).toBe(false);
    expect(hasScope(['registry:read:*'], 'registry:read', 'churn')).toBe(true);
    // An unqualified scope needs no name at all.
    expect(hasScope(['registry:read'], 'registry:read', '-'.repeat(1600))).toBe(true);
  });
});
