import { uuidv7 } from '#persistence';
import { startTestApp, versionBody, digest, type TestApp } from '../support/app.js';

interface SseFrame {
  id?: string;
  event?: string;
  data?: any;
}

/** Opens the stream over real HTTP and parses frames as they arrive. */
async function openStream(t: TestApp, query: string, token: string, lastEventId?: string) {
  const controller = new AbortController();
  const res = await fetch(`${t.url}/v1/events/stream${query}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: controller.signal,
  });
  const frames: SseFrame[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const raw = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const frame: SseFrame = {};
          for (const line of raw.split('\n')) {
            const i = line.indexOf(':');
            if (i <= 0) continue;
            const field = line.slice(0, i);
            const value = line.slice(i + 1).replace(/^ /, '');
            if (field === 'id') frame.id = value;
            if (field === 'event') frame.event = value;
            if (field === 'data') frame.data = JSON.parse(value);
          }
          if (frame.data) frames.push(frame);
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return {
    res,
    frames,
    async waitFor(n: number, ms = 5000) {
      const until = Date.now() + ms;
      while (frames.length < n) {
        if (Date.now() > until) throw new Error(`got ${frames.length} of ${n} frames`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}

/** SSE over real HTTP; run on SQLite by the e2e tier and on PostgreSQL by the integration tier. */
export function eventStreamScenarios(kind: 'sqlite' | 'postgres'): void {
  let t: TestApp;
  let reader: string;
  let alice: string;
  let bob: string;
  let rm: string;

  beforeEach(async () => {
    t = await startTestApp(kind);
    reader = await t.token('reader', ['registry:read']);
    alice = await t.token('alice', ['registry:read', 'registry:write']);
    bob = await t.token('bob', ['registry:read', 'approvals:write']);
    rm = await t.token('rm', ['registry:read', 'registry:promote']);
  });
  afterEach(async () => {
    await t.close();
  });

  async function release(name: string, version: string, n: number) {
    expect((await t.call('POST', `/v1/models/${name}/versions`, { token: alice, body: versionBody(version, n) })).status).toBe(201);
    expect((await t.call('POST', `/v1/models/${name}/versions/${version}/approvals`, { token: bob, body: { decision: 'approve' } })).status).toBe(201);
    const p = await t.call('POST', `/v1/models/${name}/versions/${version}/transitions`, { token: rm, body: { stage: 'Production', reason: 'release' } });
    expect(p.status).toBe(200);
  }

  test('needs registry:read; bad filters and a bad Last-Event-ID are 400 problem+json naming the field', async () => {
    expect((await t.call('GET', '/v1/events/stream')).status).toBe(401);
    const noScope = await t.token('x', ['gates:write']);
    expect((await t.call('GET', '/v1/events/stream', { token: noScope })).status).toBe(403);
    const badType = await t.call('GET', '/v1/events/stream?types=dev.model-ledger.nope.v1', { token: reader });
    expect(badType.status).toBe(400);
    expect(badType.headers.get('content-type')).toContain('application/problem+json');
    expect(badType.body).toMatchObject({ code: 'INVALID_EVENT_TYPES', errors: [{ field: 'types' }] });
    const badModel = await t.call('GET', '/v1/events/stream?model=Not%20A%20Name', { token: reader });
    expect(badModel.body).toMatchObject({ code: 'INVALID_MODEL_NAME', errors: [{ field: 'model' }] });
    const badId = await t.call('GET', '/v1/events/stream', { token: reader, headers: { 'last-event-id': 'abc' } });
    expect(badId.status).toBe(400);
    expect(badId.body).toMatchObject({ code: 'INVALID_LAST_EVENT_ID', errors: [{ field: 'Last-Event-ID' }] });
  });

  test('a Last-Event-ID past the store head is a 422 problem naming the field and the head, not a silent wait', async () => {
    expect((await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } })).status).toBe(201);
    const head = await t.store.headPosition();
    const beyond = await fetch(`${t.url}/v1/events/stream`, {
      headers: { authorization: `Bearer ${reader}`, 'last-event-id': String(head + 100) },
      signal: AbortSignal.timeout(5000),
    });
    expect(beyond.status).toBe(422);
    expect(beyond.headers.get('content-type')).toContain('application/problem+json');
    expect(await beyond.json()).toMatchObject({ code: 'LAST_EVENT_ID_BEYOND_HEAD', head, errors: [{ field: 'Last-Event-ID', rule: 'max' }] });
    // The head itself is a valid resume point: the stream opens and delivers what comes next.
    const atHead = await openStream(t, '', reader, String(head));
    expect(atHead.res.status).toBe(200);
    expect((await t.call('POST', '/v1/models', { token: alice, body: { name: 'fraud' } })).status).toBe(201);
    await atHead.waitFor(1);
    expect(atHead.frames.map((f) => [Number(f.id), f.data.data.model])).toEqual([[head + 1, 'fraud']]);
    await atHead.close();
  });

  test('every model-stream event is published, internal ones are not: positions increase with gaps, revision is gapless per model', async () => {
    const internal = () =>
      t.store.append('$internal-test', [{ id: uuidv7(), type: 'InternalNote', schemaVersion: 1, data: {}, metadata: { actor: { sub: 'system', scopes: [] }, correlationId: uuidv7() } }], {
        expectedRevision: 'any',
      });
    for (const name of ['churn', 'fraud']) {
      expect((await t.call('POST', '/v1/models', { token: alice, body: { name } })).status).toBe(201);
      await internal();
    }
    await release('churn', '1.0.0', 1);
    await internal();
    await release('fraud', '1.0.0', 2);
    const stored = await t.store.readAll({ limit: 1000 });
    const published = stored.filter((e) => e.stream.startsWith('model-'));
    expect(published.length).toBeLessThan(stored.length);

    const s = await openStream(t, '', reader);
    await s.waitFor(published.length);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.frames.map((f) => f.data.id)).toEqual(published.map((e) => e.id));
    const positions = s.frames.map((f) => Number(f.id));
    expect(positions.every((p, i) => i === 0 || p > positions[i - 1])).toBe(true);
    expect(positions.some((p, i) => i > 0 && p > positions[i - 1] + 1)).toBe(true); // the internal events' gaps
    for (const model of ['churn', 'fraud']) {
      const revisions = s.frames.filter((f) => f.data.data.model === model).map((f) => f.data.data.revision);
      expect(revisions).toEqual(revisions.map((_, i) => i));
    }
    await s.close();
  });

  test('streams filtered CloudEvents (past, then live) and resumes after Last-Event-ID', async () => {
    for (const name of ['churn', 'fraud']) {
      expect((await t.call('POST', '/v1/models', { token: alice, body: { name } })).status).toBe(201);
    }
    await release('churn', '1.0.0', 1);
    await release('fraud', '1.0.0', 2);

    const s = await openStream(t, '?model=churn&types=dev.model-ledger.version.promoted.v1,AliasSet', reader);
    expect(s.res.status).toBe(200);
    expect(s.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await s.waitFor(2);
    const [promoted, alias] = s.frames;
    const stored = (await t.store.readStream('model-churn')).find((e) => e.type === 'VersionPromoted')!;
    expect(promoted.id).toBe(String(stored.position));
    expect(promoted.event).toBe('dev.model-ledger.version.promoted.v1');
    expect(promoted.data).toMatchObject({
      specversion: '1.0',
      id: stored.id,
      source: '/model-ledger/models/churn',
      subject: 'churn/1.0.0',
      data: { model: 'churn', version: '1.0.0', stage: 'Production', artifact: { digest: digest(1) }, imageDigest: digest(2001), actor: 'rm' },
    });
    expect(alias.data).toMatchObject({ type: 'dev.model-ledger.alias.set.v1', data: { alias: 'prod', version: '1.0.0' } });

    // Live: a new promotion arrives on the open stream; the other model's does not.
    await release('fraud', '1.1.0', 3);
    await release('churn', '1.1.0', 4);
    await s.waitFor(4);
    expect(s.frames.slice(2).map((f) => [f.event, f.data.data.model, f.data.data.version])).toEqual([
      ['dev.model-ledger.version.promoted.v1', 'churn', '1.1.0'],
      ['dev.model-ledger.alias.set.v1', 'churn', '1.1.0'],
    ]);
    const positions = s.frames.map((f) => Number(f.id));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    await s.close();

    // Reconnect after the first frame: the three that followed come again, nothing before.
    const resumed = await openStream(t, '?model=churn&types=dev.model-ledger.version.promoted.v1,AliasSet', reader, promoted.id);
    await resumed.waitFor(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(resumed.frames.map((f) => f.id)).toEqual(s.frames.slice(1).map((f) => f.id));
    await resumed.close();
  });
}
