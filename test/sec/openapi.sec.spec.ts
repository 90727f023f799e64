import type { TestApp } from '../support/app.js';
import { seededApp } from './support.js';

type Schema = Record<string, any>;

/**
 * The OpenAPI document is the contract Schemathesis holds the server to (scripts/schemathesis.sh):
 * it must state every status, every 2xx body and the request rules the server enforces.
 */
describe('OpenAPI document (/docs-json) is strict and complete', () => {
  let t: TestApp;
  let doc: Schema;
  const ops: { method: string; path: string; op: Schema }[] = [];
  beforeAll(async () => {
    ({ t } = await seededApp());
    doc = (await t.call('GET', '/docs-json')).body;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Schema>)) for (const [method, op] of Object.entries(item)) ops.push({ method, path, op });
  });
  afterAll(() => t.close());

  const resolveRef = (s: Schema): Schema => (s?.$ref ? doc.components.schemas[s.$ref.split('/').pop()] : s);

  test('OpenAPI 3.1, every route documented', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(ops.length).toBeGreaterThanOrEqual(29);
  });

  test('every operation documents a 2xx body with a schema', () => {
    const missing = ops.filter(({ op }) => {
      const ok = Object.entries(op.responses).filter(([s]) => s.startsWith('2'));
      return ok.length === 0 || ok.some(([, r]: [string, any]) => !r.content || Object.values(r.content).some((c: any) => !c.schema));
    });
    expect(missing.map((m) => `${m.method} ${m.path}`)).toEqual([]);
  });

  test('every operation documents its problem statuses as application/problem+json', () => {
    for (const { method, path, op } of ops) {
      const expected = [400];
      if (op.security?.length) expected.push(401, 403);
      if (path.includes('{')) expected.push(404);
      if (op.requestBody) expected.push(413, 415, 409, 422);
      for (const status of expected) {
        const r = op.responses[String(status)];
        expect({ op: `${method} ${path}`, status, schema: r?.content?.['application/problem+json']?.schema }).toEqual({
          op: `${method} ${path}`,
          status,
          schema: { $ref: '#/components/schemas/Problem' },
        });
      }
    }
    expect(doc.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
  });

  test('request bodies refuse unknown fields, all the way down, and are required', () => {
    const check = (s: Schema, where: string, seen = new Set<string>()) => {
      const schema = resolveRef(s);
      if (!schema || seen.has(where)) return;
      seen.add(where);
      if (schema.properties) expect({ where, additionalProperties: schema.additionalProperties }).toEqual({ where, additionalProperties: false });
      for (const [k, v] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
        const inner = v.$ref ? v : (v.allOf?.[0] ?? v.anyOf?.find((x: Schema) => x.$ref));
        if (inner?.$ref) check(inner, `${where}.${k}`, seen);
      }
    };
    const bodies = ops.filter(({ op }) => op.requestBody);
    expect(bodies.length).toBeGreaterThanOrEqual(8);
    for (const { method, path, op } of bodies) {
      expect(op.requestBody.required).toBe(true);
      check(op.requestBody.content['application/json'].schema, `${method} ${path}`);
    }
  });

  test('request rules match what the server enforces', () => {
    const param = (path: string, method: string, name: string) => doc.paths[path][method].parameters.find((p: Schema) => p.name === name);
    expect(param('/v1/models', 'get', 'limit')).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1, maximum: 500 } });
    expect(param('/v1/models', 'get', 'owner').schema).toMatchObject({ type: 'string', maxLength: 200, pattern: expect.stringContaining('\\u0000') });
    expect(param('/v1/models/{name}', 'get', 'name')).toMatchObject({ required: true, schema: { pattern: '^[a-z0-9][a-z0-9._-]{0,127}$' } });
    expect(param('/v1/audit/events', 'get', 'from').schema).toMatchObject({ type: 'string', format: 'date-time' });
    expect(param('/v1/audit/models/{name}/diff', 'get', 'from').required).toBe(true);
    const version = doc.components.schemas.RegisterVersionDto;
    expect(version.required).toEqual(['artifact']);
    expect(version.properties.version.pattern).toMatch(/^\^\(0\|\[1-9\]/);
    expect(version.properties.metrics).toMatchObject({ type: 'object', maxProperties: 256, propertyNames: { minLength: 1, maxLength: 128 }, additionalProperties: { type: 'number' } });
    expect(version.properties.description).toMatchObject({ type: 'string', maxLength: 4000 });
    expect(doc.components.schemas.ArtifactDto.required.sort()).toEqual(['digest', 'format', 'uri']);
    expect(doc.components.schemas.RollbackDto.properties.reason).toMatchObject({ minLength: 1, maxLength: 2000 });
    expect(param('/v1/audit/verify', 'get', 'from')).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1 } });
    expect(param('/v1/models/{name}/versions', 'get', 'stage').schema.enum).toEqual(['None', 'Staging', 'Production', 'Archived']);
  });

  test('every string in a path or query names its shape: a pattern, an enum or a format', () => {
    const loose: string[] = [];
    for (const { method, path, op } of ops) {
      for (const p of (op.parameters ?? []) as Schema[]) {
        const s = p.schema?.type === 'array' ? p.schema.items : p.schema;
        if (p.in !== 'header' && (s?.type ?? 'string') === 'string' && !s.pattern && !s.enum && !s.format) loose.push(`${method} ${path} ${p.name}`);
      }
    }
    expect(loose).toEqual([]);
  });

  test('a null for an optional field is refused like any other wrong type', async () => {
    const token = await t.token('alice', ['registry:read', 'registry:write']);
    const r = await t.call('POST', '/v1/models', { token, body: { name: 'nully', description: null } });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'description' })]));
  });
});
