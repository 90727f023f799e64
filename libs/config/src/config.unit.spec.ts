import { ConfigError, validateConfig } from './config.js';

describe('configuration', () => {
  test('defaults give the embedded store on port 8080', () => {
    const c = validateConfig({});
    expect(c).toMatchObject({ EVENT_STORE: 'sqlite', DATA_DIR: './data', PORT: 8080, PROTECTED_ALIASES: ['prod', 'champion'], REQUIRED_APPROVALS: 1 });
  });

  test('values from the environment are parsed and validated', () => {
    const c = validateConfig({ PORT: '9090', EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://x', JWT_ALGORITHMS: 'ES256, EdDSA', PROTECTED_ALIASES: 'prod' });
    expect(c).toMatchObject({ PORT: 9090, EVENT_STORE: 'postgres', JWT_ALGORITHMS: ['ES256', 'EdDSA'], PROTECTED_ALIASES: ['prod'] });
  });

  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ EVENT_STORE: 'mongo' }, 'EVENT_STORE'],
    [{ EVENT_STORE: 'postgres' }, 'DATABASE_URL'],
    [{ JWKS_URL: 'not a url' }, 'JWKS_URL'],
    [{ REQUIRED_APPROVALS: '0' }, 'REQUIRED_APPROVALS'],
    [{ CATCH_UP_WORKER_EVENTS: '-1' }, 'CATCH_UP_WORKER_EVENTS'],
    [{ CATCH_UP_WORKER_EVENTS: '2.5' }, 'CATCH_UP_WORKER_EVENTS'],
  ])('a bad value stops the server with a message naming the variable: %j', (env, name) => {
    expect(() => validateConfig(env)).toThrow(ConfigError);
    expect(() => validateConfig(env)).toThrow(new RegExp(name));
  });

  test('JWKS_URL and JWT_PUBLIC_KEY_FILE together are refused', () => {
    expect(() => validateConfig({ JWKS_URL: 'https://idp/jwks', JWT_PUBLIC_KEY_FILE: '/k.pem' })).toThrow(/not both/);
  });
});
