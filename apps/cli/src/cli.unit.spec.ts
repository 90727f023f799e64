import { Scopes } from '../../../libs/domain/src/scopes.js';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { checkScopes, KNOWN_SCOPES, parseTtl } from './token.ts';

describe('CLI pieces', () => {
  it('knows exactly the scopes the server knows', () => {
    expect([...KNOWN_SCOPES].sort()).toEqual(Object.values(Scopes).sort());
  });

  it('refuses unknown or misspelled scopes and accepts qualified ones', () => {
    expect(() => checkScopes('registry:raed')).toThrow(/unknown scope 'registry:raed'/);
    expect(() => checkScopes('registry:read admin')).toThrow(/unknown scope 'admin'/);
    expect(() => checkScopes('registry:promote:Fraud/..')).toThrow(/model-name pattern/);
    expect(checkScopes('registry:read  registry:promote:fraud-*')).toEqual(['registry:read', 'registry:promote:fraud-*']);
  });

  it('exit codes follow the problem code first, then the status', () => {
    expect(exitCodeFor(422, 'PROMOTION_REQUIREMENTS_UNMET')).toBe(EXIT.notReady);
    expect(exitCodeFor(422, 'SEMVER_RULE_VIOLATED')).toBe(EXIT.invalid);
    expect(exitCodeFor(422, 'SOMETHING_ELSE')).toBe(EXIT.invalid);
    expect(exitCodeFor(400)).toBe(EXIT.invalid);
    expect(exitCodeFor(401)).toBe(EXIT.auth);
    expect(exitCodeFor(403, 'SELF_APPROVAL_FORBIDDEN')).toBe(EXIT.auth);
    expect(exitCodeFor(409, 'VERSION_EXISTS')).toBe(EXIT.conflict);
    expect(exitCodeFor(404, 'MODEL_NOT_FOUND')).toBe(EXIT.notFound);
    expect(exitCodeFor(500)).toBe(EXIT.unexpected);
    expect(exitCodeFor(503, 'READ_MODEL_BEHIND')).toBe(EXIT.unexpected);
  });

  it('durations', () => {
    expect(parseTtl('30m')).toBe(1800);
    expect(parseTtl('3600')).toBe(3600);
    expect(() => parseTtl('0')).toThrow();
    expect(() => parseTtl('8 hours')).toThrow(/not a duration/);
  });
});
