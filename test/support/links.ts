import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { TestApp } from './app.js';

export interface OutboxLine {
  deliveryId: string;
  kind: 'approval-link' | 'approval-reminder';
  to: string;
  email?: string;
  model: string;
  version: string;
  linkId: string;
  url: string;
  expiresAt: string;
}

/** Every message the development outbox holds (DATA_DIR/outbox/approval-links.jsonl). */
export function readOutbox(dataDir: string): OutboxLine[] {
  const file = join(dataDir, 'outbox', 'approval-links.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OutboxLine);
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The link delivered to the outbox for one link id (waits for the dispatcher). */
export async function linkFromOutbox(t: TestApp, linkId: string, kind: OutboxLine['kind'] = 'approval-link') {
  const line = await waitFor(`outbox message for link ${linkId}`, () => readOutbox(t.dataDir).find((l) => l.linkId === linkId && l.kind === kind));
  return { ...line, approver: line.to, token: line.url.slice(line.url.lastIndexOf('/') + 1) };
}

/**
 * Requests approval through the API, then takes each approver's link from the delivery channel
 * (the development outbox): the API itself never answers with a token or URL.
 */
export async function issueLinks(t: TestApp, token: string, model: string, version: string, approvers: string[], ttlHours?: number) {
  const r = await t.call('POST', `/v1/models/${model}/versions/${version}/approval-links`, { token, body: { approvers, ...(ttlHours ? { ttlHours } : {}) } });
  if (r.status !== 201) throw new Error(`issuing links failed: ${r.status} ${JSON.stringify(r.body)}`);
  const out = [];
  for (const n of r.body.notified as { approver: string; linkId: string }[]) out.push(await linkFromOutbox(t, n.linkId));
  return out;
}

/** Fetches an approver page (GET) or posts the form (POST, urlencoded like a browser). */
export async function page(t: TestApp, method: 'GET' | 'POST', token: string, form?: Record<string, string>) {
  const res = await fetch(`${t.url}/approve/${token}`, {
    method,
    ...(form ? { body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}),
  });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

/** Signs a link with the server's dev link key (or another key) to forge the refusal cases. */
export async function forgeLink(dataDir: string, claims: Record<string, unknown>, opts: { key?: CryptoKey; exp?: number; typ?: string } = {}): Promise<string> {
  const jwk = JSON.parse(readFileSync(join(dataDir, 'approval-link-key.json'), 'utf8')) as JWK;
  const key = opts.key ?? ((await importJWK(jwk, 'EdDSA')) as CryptoKey);
  return new SignJWT({ purpose: 'approval', ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid, typ: opts.typ ?? 'approval-link+jwt' })
    .setIssuer('model-ledger/approval-link')
    .setAudience('model-ledger/approve')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 3600)
    .sign(key);
}
