import { versionBody } from '../../support/app.js';
import { attempt, sleep, type History } from './history.js';
import type { RecordedEvent } from '#event-store';

/** What identifies each write of the load among the stored events. */
export function loadMarker(e: RecordedEvent): string | undefined {
  if (e.type === 'VersionRegistered') return (e.data as { lineage?: { runId?: string } }).lineage?.runId;
  if (e.type === 'ModelCreated') return `create:${(e.data as { name: string }).name}`;
  return undefined;
}

/**
 * `writers` concurrent clients, each registering versions 1.1.0, 1.2.0, … of its own model as
 * fast as the server answers, every attempt logged. Runs until `stop()`; a refused connection
 * (server down) is retried after a short pause with the next version.
 */
export function startWriters(opts: { history: History; url: () => string; token: string; writers: number; tag: string }) {
  let running = true;
  const json = { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` };
  const loops = Array.from({ length: opts.writers }, async (_, w) => {
    const model = `${opts.tag}-w${w}`;
    for (let n = 1; running; n++) {
      const runId = `${opts.tag}-w${w}-${n}`;
      const r = await attempt(
        opts.history,
        { writer: w, kind: 'register', model, marker: runId },
        `${opts.url()}/v1/models/${model}/versions`,
        { method: 'POST', headers: json, body: JSON.stringify(versionBody(`1.${n}.0`, w * 100_000 + n, { lineage: { ...versionBody('1.0.0', n).lineage, runId } })) },
      );
      if (r.op.outcome !== 'ok') await sleep(r.op.outcome === 'fail' && r.status === undefined ? 200 : 50);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

export async function createModels(history: History, url: string, token: string, names: string[]): Promise<void> {
  const json = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  for (const [i, name] of names.entries()) {
    const r = await attempt(history, { writer: i, kind: 'create', model: name, marker: `create:${name}` }, `${url}/v1/models`, { method: 'POST', headers: json, body: JSON.stringify({ name }) });
    if (r.status !== 201) throw new Error(`creating ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

/** Waits until the relay has published everything (readiness reports it). */
export async function waitForRelay(url: string, ms = 120_000): Promise<void> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const r = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5000) });
      const body = (await r.json()) as { checks?: { relay?: { eventsBehind?: number; status?: string } } };
      last = body.checks?.relay;
      if (body.checks?.relay?.eventsBehind === 0 && body.checks.relay.status === 'ok') return;
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > until) throw new Error(`relay still behind after ${ms} ms: ${JSON.stringify(last)}`);
    await sleep(200);
  }
}

export async function verifyChain(url: string, token: string): Promise<{ ok: boolean; checked?: number; head: number }> {
  const r = await fetch(`${url}/v1/audit/verify`, { headers: { authorization: `Bearer ${token}` } });
  if (r.status !== 200) throw new Error(`verify: ${r.status} ${await r.text()}`);
  return (await r.json()) as { ok: boolean; checked?: number; head: number };
}
