import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { TestApp } from './app.js';

/** Issues approval links through the API and returns the token of each approver's URL. */
export async function issueLinks(t: TestApp, token: string, model: string, version: string, approvers: string[], ttlHours?: number) {
  const r = await t.call('POST', `/v1/models/${model}/versions/${version}/approval-links`, { token, body: { approvers, ...(ttlHours ? { ttlHours } : {}) } });
  if (r.status !== 201) throw new Error(`issuing links failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.links.map((l: { approver: string; url: string; expiresAt: string }) => ({ ...l, token: l.url.slice(l.url.lastIndexOf('/') + 1) }));
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
