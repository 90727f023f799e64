import { connect } from 'node:net';
import { generateKeyPair } from 'jose';
import { seedProductionModel, startTestApp, type TestApp } from '../support/app.js';

/**
 * Attacks on the resolve edge (resolve.edge.ts), which answers resolve-index hits before Fastify:
 * it must never answer what the route would refuse. Raw HTTP/1.1 so that headers arrive exactly
 * as an attacker sends them (fetch would merge or refuse some).
 */
const prod = `/v1/resolve?uri=${encodeURIComponent('models:/churn@prod')}`;

function raw(t: TestApp, request: string): Promise<{ status: number; text: string }> {
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    socket.on('error', reject);
  });
}

async function edgeOk(t: TestApp): Promise<number> {
  const text = await fetch(`${t.url}/metrics`).then((r) => r.text());
  return Number(/model_ledger_resolve_index_answers(?:_total)?\{[^}]*status="200"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe('resolve edge: what an attacker can send', () => {
  let t: TestApp;
  let reader: string;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    await seedProductionModel(t);
    reader = await t.token('reader', ['registry:read']);
    // The route answers first: the answer is now in the index and the token among the verified ones.
    expect((await t.call('GET', prod, { token: reader })).status).toBe(200);
    expect((await t.call('GET', prod, { token: reader })).status).toBe(200);
    expect(await edgeOk(t)).toBe(1);
  });
  afterAll(async () => t.close());

  test('a forged token with the same claims, sent before or after a good one, is refused by the route', async () => {
    const forged = await t.token('reader', ['registry:read'], { key: (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey });
    const before = await edgeOk(t);
    // Node keeps the first of repeated Authorization headers, for the edge and for Fastify alike.
    const first = await raw(t, `GET ${prod} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${forged}\r\nAuthorization: Bearer ${reader}\r\nConnection: close\r\n\r\n`);
    expect(first.status).toBe(401);
    expect(first.text).toContain('TOKEN_INVALID');
    const junk = await raw(t, `GET ${prod} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${reader} extra\r\nConnection: close\r\n\r\n`);
    expect(junk.status).toBe(401);
    expect(await edgeOk(t)).toBe(before);
  });

  test('odd request targets and bodies are the route’s to answer', async () => {
    const before = await edgeOk(t);
    const auth = `Authorization: Bearer ${reader}\r\n`;
    const absolute = await raw(t, `GET http://x${prod} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
    const doubled = await raw(t, `GET /${prod} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
    const withBody = await raw(t, `GET ${prod} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    const head = await raw(t, `HEAD ${prod} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
    expect(doubled.status).toBe(404);
    expect([absolute.status, withBody.status, head.status].every((s) => s > 0)).toBe(true);
    expect(await edgeOk(t)).toBe(before);
    // And the plain request is still an edge answer.
    const plain = await raw(t, `GET ${prod} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
    expect(plain.status).toBe(200);
    expect(await edgeOk(t)).toBe(before + 1);
  });

  test('errors echo nothing of the request: a miss for an unknown model names only the uri', async () => {
    const r = await t.call('GET', `/v1/resolve?uri=${encodeURIComponent('models:/nope@prod')}`, { token: reader });
    expect(r.status).toBe(404);
    expect(JSON.stringify(r.body)).not.toContain(reader);
  });
});
