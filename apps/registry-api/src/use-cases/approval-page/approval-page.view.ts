import type { Requirement, VersionState } from '../../../../../libs/domain/src/index.js';

/** Everything registered is untrusted text: it is escaped on the way into HTML, always. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`=/]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Only absolute http(s) URLs become links; anything else (javascript:, data:) is shown as text. */
function link(uri: string | undefined, label?: string): string {
  if (!uri) return '';
  let ok = false;
  try {
    const u = new URL(uri);
    ok = u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    ok = false;
  }
  return ok ? `<a href="${escapeHtml(uri)}" rel="noopener noreferrer" target="_blank">${escapeHtml(label ?? uri)}</a>` : `<code>${escapeHtml(uri)}</code>`;
}

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
main{max-width:860px;margin:24px auto;background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:24px 32px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 8px;border-bottom:1px solid #eceff3;padding-bottom:4px}
.sub{color:#5b6474;margin:0 0 12px}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #f0f2f5;vertical-align:top}
th{color:#5b6474;font-weight:600;width:190px}code{font:12px ui-monospace,monospace;word-break:break-all}
.gates td:nth-child(-n+2){white-space:nowrap}.ok{color:#137333;font-weight:600}.bad{color:#b3261e;font-weight:600}.neutral{color:#5b6474}
pre.card{white-space:pre-wrap;background:#f8f9fb;border:1px solid #eceff3;padding:12px;border-radius:6px;font:13px ui-monospace,monospace;max-height:320px;overflow:auto}
textarea{width:100%;min-height:70px;font:inherit;box-sizing:border-box;padding:6px}
.actions{display:flex;gap:12px;margin-top:12px}button{font:inherit;padding:8px 18px;border-radius:6px;border:1px solid #888;cursor:pointer}
button.approve{background:#137333;color:#fff;border-color:#137333}button.reject{background:#fff;color:#b3261e;border-color:#b3261e}
.notice{padding:14px 16px;border-radius:6px;margin:12px 0}.notice.ok{background:#e6f4ea}.notice.bad{background:#fce8e6}`;

export function layout(title: string, body: string, nonce: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} · model-ledger</title><style nonce="${nonce}">${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export interface ApprovalPageModel {
  token: string;
  model: string;
  approver: string;
  expiresAt: string;
  version: VersionState;
  incumbent?: VersionState;
  requirements: Requirement[];
  requiredApprovals: number;
  policyId: string;
}

function metricsTable(v: VersionState, incumbent?: VersionState): string {
  const names = [...new Set([...Object.keys(v.metrics), ...Object.keys(incumbent?.metrics ?? {})])].sort();
  if (names.length === 0) return '<p class="neutral">No metrics recorded.</p>';
  const rows = names
    .map((m) => {
      const a = v.metrics[m];
      const b = incumbent?.metrics[m];
      const delta = a !== undefined && b !== undefined ? a - b : undefined;
      const cls = delta === undefined ? 'neutral' : delta >= 0 ? 'ok' : 'bad';
      return `<tr><td><code>${escapeHtml(m)}</code></td><td>${escapeHtml(a ?? '—')}</td><td>${escapeHtml(b ?? '—')}</td><td class="${cls}">${delta === undefined ? '—' : escapeHtml((delta >= 0 ? '+' : '') + delta.toFixed(4))}</td></tr>`;
    })
    .join('');
  return `<table><tr><th>Metric</th><th>This version</th><th>Incumbent ${incumbent ? escapeHtml(incumbent.version) : '(none)'}</th><th>Δ</th></tr>${rows}</table>`;
}

function gatesList(items: Requirement[]): string {
  if (items.length === 0) return '<p class="neutral">The policy requires nothing for Production.</p>';
  const rows = items
    .map((r) => {
      const name = (r.gate as string | undefined) ?? 'approvals';
      const evidence = typeof r.evidenceUri === 'string' ? link(r.evidenceUri, 'evidence') : '';
      return `<tr><td class="${r.met ? 'ok' : 'bad'}">${r.met ? '✓ met' : '✗ unmet'}</td><td><code>${escapeHtml(name)}</code></td><td>${escapeHtml(r.message)} ${evidence}</td></tr>`;
    })
    .join('');
  return `<table class="gates">${rows}</table>`;
}

export function approvalPage(m: ApprovalPageModel, nonce: string): string {
  const v = m.version;
  const l = v.lineage;
  const row = (k: string, val: string) => `<tr><th>${escapeHtml(k)}</th><td>${val}</td></tr>`;
  const code = (x: unknown) => (x === undefined || x === null || x === '' ? '<span class="neutral">not recorded</span>' : `<code>${escapeHtml(x)}</code>`);
  const card = v.modelCard
    ? `<pre class="card">${escapeHtml(v.modelCard)}</pre>`
    : v.modelCardUri
      ? `<p>${link(v.modelCardUri)}</p>`
      : '<p class="neutral">No model card attached.</p>';
  const body = `
<h1>Approve ${escapeHtml(m.model)} ${escapeHtml(v.version)}?</h1>
<p class="sub">Requested from <strong>${escapeHtml(m.approver)}</strong> · link valid until ${escapeHtml(m.expiresAt)} · judged by ${escapeHtml(m.policyId)}</p>
<table>
${row('Model', `<code>${escapeHtml(m.model)}</code>`)}
${row('Version', `<code>${escapeHtml(v.version)}</code> (stage ${escapeHtml(v.stage)})`)}
${row('Registered by', `${escapeHtml(v.registeredBy)} at ${escapeHtml(v.registeredAt)}`)}
${row('Approvals', `${v.approvals.length} of ${m.requiredApprovals}${v.approvals.length ? ` (${v.approvals.map((a) => escapeHtml(a.sub)).join(', ')})` : ''}`)}
${v.description ? row('Description', escapeHtml(v.description)) : ''}
</table>
<h2>Lineage</h2>
<table class="lineage">
${row('Training run', code(l.runId))}
${row('Git commit', code(l.gitCommit))}
${row('Dataset hash', code(l.datasetHash))}
${row('Image', l.image ? `${code(l.image.ref)} ${l.image.digest ? `@ ${code(l.image.digest)}` : ''}` : code(undefined))}
${row('Artifact', `${code(v.artifact.uri)}<br>${code(v.artifact.digest)}`)}
</table>
<h2>Metrics against the incumbent</h2>
${metricsTable(v, m.incumbent)}
<h2>Gates (policy for Production)</h2>
${gatesList(m.requirements)}
<h2>Model card</h2>
${card}
<h2>Your decision</h2>
<form method="post" action="/approve/${escapeHtml(m.token)}">
<input type="hidden" name="model" value="${escapeHtml(m.model)}"><input type="hidden" name="version" value="${escapeHtml(v.version)}">
<label for="comment">Comment</label><textarea id="comment" name="comment" maxlength="4000" placeholder="What you checked, or why you reject"></textarea>
<div class="actions"><button class="approve" type="submit" name="decision" value="approve">Approve</button><button class="reject" type="submit" name="decision" value="reject">Reject</button></div>
</form>`;
  return layout(`Approve ${m.model} ${v.version}`, body, nonce);
}

export function noticePage(title: string, message: string, ok: boolean, nonce: string, details: [string, string][] = []): string {
  const rows = details.map(([k, val]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(val)}</td></tr>`).join('');
  return layout(title, `<h1>${escapeHtml(title)}</h1><div class="notice ${ok ? 'ok' : 'bad'}" role="status">${escapeHtml(message)}</div>${rows ? `<table>${rows}</table>` : ''}`, nonce);
}
