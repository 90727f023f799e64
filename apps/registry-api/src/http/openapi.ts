import { applyDecorators } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import { RESPONSE_SCHEMAS } from './openapi-schemas.js';
import { splitMlflowPaths } from '../mlflow/openapi.js';

type Schema = Record<string, any>;
type ResponseSchemaName = keyof typeof RESPONSE_SCHEMAS;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The 2xx body of a route, by response-schema name. */
export const ApiBody2xx = (name: ResponseSchemaName, status = 200, description = 'OK') => ApiResponse({ status, description, schema: ref(name) });

/** Statuses a route returns beyond those derived from its shape (see problemStatuses). */
export const ApiProblems = (...statuses: number[]) => applyDecorators(...statuses.map((status) => ApiResponse({ status, description: PROBLEM_TITLES[status] ?? 'Problem' })));

const PROBLEM_TITLES: Record<number, string> = {
  400: 'Malformed request: a field breaks a rule (errors names each field and rule)',
  401: 'Missing, expired or invalid bearer token',
  403: 'The token lacks the scope this call needs, or policy forbids it',
  404: 'The model, version, alias or route does not exist',
  409: 'The current state forbids it, or a concurrent write won (next says what to do)',
  413: 'The body is larger than BODY_LIMIT_BYTES',
  415: 'The body is not application/json',
  422: 'Well-formed but refused by a domain rule (semver, gates, approvals, cursor, instant)',
  503: 'Not ready, or the read model is behind X-Min-Position (Retry-After)',
};

/** What every operation can answer, from its shape: so a new route is documented without a list to keep. */
function problemStatuses(method: string, op: Schema, path: string): number[] {
  const statuses = [400];
  if (op.security?.length) statuses.push(401, 403);
  if (path.includes('{')) statuses.push(404);
  if (op.requestBody) statuses.push(413, 415);
  if (method !== 'get') statuses.push(404, 409, 422);
  if (method === 'get' && (op.parameters ?? []).length > 0) statuses.push(422);
  // X-Min-Position on a replica that cannot catch up in time: 503 READ_MODEL_BEHIND.
  if (method === 'get' && path.startsWith('/v1/')) statuses.push(503);
  return statuses;
}

// ------------------------------------------------------------ request rules from class-validator

interface Rule {
  propertyName: string;
  type: string;
  name?: string;
  constraints?: unknown[];
  each?: boolean;
}
type Target = abstract new (...args: never[]) => unknown;

const storage = () => getMetadataStorage() as unknown as { getTargetValidationMetadatas(t: Target, s: string, a: boolean, b: boolean): Rule[] };
const rulesOf = (cls: Target) => storage().getTargetValidationMetadatas(cls, '', true, false);
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';
/** Record keys: 1-128 characters (propertyNames: JSON Schema 2020-12, hence OpenAPI 3.1). */
const RECORD_KEYS = { minLength: 1, maxLength: 128 };

/** Writes the rules class-validator enforces on one property into its OpenAPI schema. */
function applyRules(schema: Schema, rules: Rule[]): void {
  const into = (each?: boolean): Schema => (each ? (schema.items ??= {}) : schema);
  for (const r of rules) {
    const c = r.constraints ?? [];
    const s = into(r.each);
    switch (r.name) {
      case 'isString':
        s.type = 'string';
        break;
      case 'maxLength':
        s.maxLength = c[0];
        break;
      case 'minLength':
        s.minLength = c[0];
        break;
      case 'isNotEmpty':
        s.minLength = Math.max(1, s.minLength ?? 0);
        break;
      case 'matches':
        s.type ??= 'string';
        s.pattern = c[0] instanceof RegExp ? c[0].source : String(c[0]);
        break;
      case 'isInt':
        s.type = 'integer';
        break;
      case 'min':
        s.minimum = c[0];
        break;
      case 'max':
        s.maximum = c[0];
        break;
      case 'isIn':
        s.enum = c[0];
        break;
      case 'isBoolean':
        s.type = 'boolean';
        break;
      case 'isRFC3339':
        s.type = 'string';
        s.format = 'date-time';
        break;
      case 'isArray':
        s.type = 'array';
        break;
      case 'arrayMinSize':
        s.minItems = c[0];
        break;
      case 'arrayMaxSize':
        s.maxItems = c[0];
        break;
      case 'arrayUnique':
        s.uniqueItems = true;
        break;
      case 'isObject':
        if (!s.$ref && !s.allOf) s.type = 'object';
        break;
      case 'isNumberRecord':
        Object.assign(s, { type: 'object', maxProperties: 256, propertyNames: RECORD_KEYS, additionalProperties: { type: 'number' } });
        break;
      case 'isStringRecord':
        Object.assign(s, { type: 'object', maxProperties: 256, propertyNames: RECORD_KEYS, additionalProperties: { type: 'string', maxLength: 1024 } });
        break;
      case 'isScalarRecord':
        Object.assign(s, { type: 'object', maxProperties: 256, propertyNames: RECORD_KEYS, additionalProperties: { oneOf: [{ type: 'string', maxLength: 1024 }, { type: 'number' }, { type: 'boolean' }] } });
        break;
      case 'isJsonStructure':
        delete s.type;
        s.oneOf = [{ type: 'object', additionalProperties: true }, { type: 'array', items: {} }];
        break;
    }
  }
}

const isOptional = (rules: Rule[]) => rules.some((r) => r.type === 'conditionalValidation');

function enrichComponent(doc: OpenAPIObject, name: string, cls: Target, strict: boolean, seen: Set<string>): void {
  if (seen.has(name)) return;
  seen.add(name);
  const schema = doc.components?.schemas?.[name] as Schema | undefined;
  if (!schema) return;
  const rules = rulesOf(cls);
  const props: Record<string, Schema> = (schema.properties ??= {});
  const required = new Set<string>();
  for (const [prop, propSchema] of Object.entries(props)) {
    const own = rules.filter((r) => r.propertyName === prop);
    applyRules(propSchema, own);
    if (!isOptional(own)) required.add(prop);
    const nested = propSchema.$ref ?? propSchema.allOf?.[0]?.$ref ?? propSchema.items?.$ref;
    if (typeof nested === 'string') {
      const nestedName = nested.split('/').pop()!;
      const nestedCls = classByName.get(nestedName);
      if (nestedCls) enrichComponent(doc, nestedName, nestedCls, strict, seen);
    }
  }
  if (required.size) schema.required = [...required];
  else delete schema.required;
  // The validation pipe refuses unknown fields (forbidNonWhitelisted).
  if (strict) schema.additionalProperties = false;
}

let classByName = new Map<string, Target>();

/** DTO classes per operationId and argument kind, read from the controllers' route metadata. */
function dtoClasses(app: NestFastifyApplication): Map<string, { body: Target[]; query: Target[]; path: Target[] }> {
  const out = new Map<string, { body: Target[]; query: Target[]; path: Target[] }>();
  for (const mod of app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const ctrl = wrapper.metatype as Target | undefined;
      if (!ctrl) continue;
      for (const method of Object.getOwnPropertyNames((ctrl as unknown as { prototype: object }).prototype)) {
        if (method === 'constructor') continue;
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, ctrl, method) ?? {}) as Record<string, { index: number; data?: unknown }>;
        const types = (Reflect.getMetadata('design:paramtypes', (ctrl as unknown as { prototype: object }).prototype, method) ?? []) as Target[];
        const entry = { body: [] as Target[], query: [] as Target[], path: [] as Target[] };
        for (const [key, arg] of Object.entries(args)) {
          const kind = Number(key.split(':')[0]);
          const cls = types[arg.index];
          if (!cls || arg.data !== undefined || [Object, String, Number, Boolean].includes(cls as never)) continue;
          if (kind === 3) entry.body.push(cls);
          if (kind === 4) entry.query.push(cls);
          if (kind === 5) entry.path.push(cls);
        }
        out.set(`${ctrl.name}_${method}`, entry);
      }
    }
  }
  return out;
}

/**
 * Makes the generated document say what the server enforces and answers: request rules read from
 * the class-validator metadata (patterns, lengths, ranges, formats, required, no unknown fields),
 * no control characters in path or query strings, and a problem+json response for every status an
 * operation can return. Done here once so every route, present or future, gets it.
 */
export function finalizeOpenApi(doc: OpenAPIObject, app: NestFastifyApplication): OpenAPIObject {
  classByName = new Map();
  for (const t of (getMetadataStorage() as unknown as { validationMetadatas: Map<Target, unknown> }).validationMetadatas.keys()) classByName.set(t.name, t);
  doc.components ??= {};
  doc.components.schemas = { ...((doc.components.schemas ?? {}) as object), ...RESPONSE_SCHEMAS } as never;
  const dtos = dtoClasses(app);
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item as Record<string, Schema>)) {
      const classes = dtos.get(op.operationId) ?? { body: [], query: [], path: [] };
      for (const p of (op.parameters ?? []) as Schema[]) {
        if (p.in !== 'query' && p.in !== 'path') continue;
        const owners = p.in === 'query' ? classes.query : classes.path;
        const rules = owners.flatMap((cls) => rulesOf(cls).filter((r) => r.propertyName === p.name));
        p.schema ??= {};
        applyRules(p.schema, rules);
        if (rules.length) p.required = p.in === 'path' || !isOptional(rules);
        if ((p.schema.type ?? 'string') === 'string' && !p.schema.pattern && !p.schema.enum && !p.schema.format) p.schema.pattern = NO_CONTROL;
      }
      const bodyRef: string | undefined = op.requestBody?.content?.['application/json']?.schema?.$ref;
      if (bodyRef && classes.body[0]) enrichComponent(doc, bodyRef.split('/').pop()!, classes.body[0], true, seen);
      if (op.requestBody) op.requestBody.required = true;
      op.responses ??= {};
      for (const status of problemStatuses(method, op, path)) op.responses[status] ??= { description: PROBLEM_TITLES[status] };
      for (const [status, response] of Object.entries(op.responses as Record<string, Schema>)) {
        if (Number(status) >= 400 && !response.content) response.content = { 'application/problem+json': { schema: ref('Problem') } };
      }
    }
  }
  return toOpenApi31(doc);
}

/**
 * OpenAPI 3.1 (JSON Schema 2020-12), so rules such as propertyNames can be stated: `nullable`
 * becomes a "null" type, and `$ref` siblings are wrapped.
 */
function toOpenApi31(doc: OpenAPIObject): OpenAPIObject {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const s = node as Schema;
    if (s.nullable === true) {
      delete s.nullable;
      if (typeof s.type === 'string') s.type = [s.type, 'null'];
      else if (s.$ref || s.allOf) {
        const inner = s.$ref ? { $ref: s.$ref } : { allOf: s.allOf };
        delete s.$ref;
        delete s.allOf;
        s.anyOf = [inner, { type: 'null' }];
      }
      if (Array.isArray(s.enum)) s.enum = [...s.enum, null];
    } else if (s.nullable === false) delete s.nullable;
    for (const v of Object.values(s)) visit(v);
  };
  visit(doc.components?.schemas);
  visit(doc.paths);
  return { ...doc, openapi: '3.1.0' };
}

/** /docs (Swagger UI) and /docs-json from the finalised document; returns it (built once, on first use). */
export function setupOpenApi(app: NestFastifyApplication): () => OpenAPIObject {
  const base = new DocumentBuilder()
    .setTitle('model-ledger')
    .setDescription('Event-sourced governance and audit for ML model registries. Errors are RFC 9457 application/problem+json with a stable `code`.')
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  // The MLflow-compatible routes get their own document: MLflow's shapes and error form, not the
  // strict problem+json contract of the native one.
  let split: ReturnType<typeof splitMlflowPaths> | undefined;
  const documents = () => (split ??= splitMlflowPaths(SwaggerModule.createDocument(app, base)));
  let doc: OpenAPIObject | undefined;
  const get = () => (doc ??= finalizeOpenApi(documents().native, app));
  SwaggerModule.setup('docs', app, get, { jsonDocumentUrl: 'docs-json' });
  SwaggerModule.setup('mlflow/docs', app, () => documents().mlflow, { jsonDocumentUrl: 'mlflow/docs-json' });
  return get;
}

/** A 2xx body that is not JSON (metrics text, NDJSON/CSV exports, an event stream of ServerSentEvent). */
export const ApiText2xx = (...mediaTypes: string[]) =>
  ApiResponse({
    status: 200,
    description: 'OK',
    content: Object.fromEntries(mediaTypes.map((m) => [m, { schema: m === 'text/event-stream' ? ref('ServerSentEvent') : { type: 'string' } }])),
  });
