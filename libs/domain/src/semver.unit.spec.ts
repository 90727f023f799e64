import { compareVersionStrings, parseSemver } from './semver.js';
import { hasScope, scopeCovers } from './scopes.js';

describe('semver', () => {
  test('parses MAJOR.MINOR.PATCH with optional pre-release and rejects the rest', () => {
    expect(parseSemver('1.2.3')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: [] });
    expect(parseSemver('1.2.3-rc.1')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: ['rc', '1'] });
    for (const bad of ['1.2', '01.2.3', 'v1.2.3', '1.2.3+build', '']) expect(parseSemver(bad)).toBeNull();
  });

  test('orders by precedence, numerically, with pre-releases below the release', () => {
    const sorted = ['1.10.0', '1.2.0', '1.2.0-rc.2', '1.2.0-rc.10', '1.2.0-alpha', '0.9.9', '2.0.0'].sort(compareVersionStrings);
    expect(sorted).toEqual(['0.9.9', '1.2.0-alpha', '1.2.0-rc.2', '1.2.0-rc.10', '1.2.0', '1.10.0', '2.0.0']);
  });
});

describe('scopes', () => {
  test('an unqualified scope covers every model; a qualified one only matching names', () => {
    expect(hasScope(['registry:promote'], 'registry:promote', 'churn')).toBe(true);
    expect(scopeCovers('registry:promote:fraud-*', 'registry:promote', 'fraud-eu')).toBe(true);
    expect(scopeCovers('registry:promote:fraud-*', 'registry:promote', 'churn')).toBe(false);
    expect(scopeCovers('registry:promote:fraud-*', 'registry:promote')).toBe(false);
    // A pattern is anchored and its dots are literal.
    expect(scopeCovers('registry:promote:a.b', 'registry:promote', 'axb')).toBe(false);
    expect(scopeCovers('registry:promoter', 'registry:promote', 'x')).toBe(false);
  });
});
