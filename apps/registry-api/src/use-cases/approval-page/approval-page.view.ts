import type { GateResult, Requirement, VersionState } from '#domain';

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
th{color:#5b6474;font-weight:600;width:190px}code{font:12px ui-monospace,monospace;word-break:break-all;overflow-wrap:anywhere}
table{table-layout:fixed}td{overflow-wrap:anywhere;word-break:break-word}
.gates td:nth-child(-n+2){white-space:nowrap;width:200px}.ci th{width:auto}.ci th:nth-child(1){width:17%}.ci th:nth-child(2){width:10%}.ci th:nth-child(3){width:13%}.ci th:nth-child(4){width:22%}.ci th:nth-child(5){width:22%}.ok{color:#137333;font-weight:600}.bad{color:#b3261e;font-weight:600}.neutral{color:#5b6474}
.awaiting{color:#8a5a00;font-weight:600}.changed{color:#8a5a00;font-weight:600}
@media (max-width:640px){main{margin:0;padding:12px;border-radius:0;border:0}th{width:96px}td,th{padding:4px}.gates td:nth-child(-n+2){white-space:normal;width:auto}.scroll{overflow-x:auto}.ci{table-layout:auto;min-width:600px;font-size:13px}.ci td{word-break:normal}}
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
  modelDescription?: string;
  owners: string[];
  /** Who asked for this approval: a subject, or the server when every gate was met. */
  requestedBy: string;
  trigger: 'automatic' | 'manual';
  /** Every CI gate result recorded on the version, and whether the policy requires it for Production. */
  recordedGates: (GateResult & { required: boolean })[];
}

/** Whether the training data differs from the incumbent Production version's. */
function datasetChange(v: VersionState, incumbent?: VersionState): string {
  const mine = v.lineage.datasetHash;
  if (!incumbent) return '<span class="neutral">no incumbent in Production</span>';
  const theirs = incumbent.lineage.datasetHash;
  if (!mine || !theirs) return `<span class="neutral">not comparable: the dataset hash of ${!mine ? 'this version' : `incumbent ${escapeHtml(incumbent.version)}`} is not recorded</span>`;
  return mine === theirs
    ? `<span class="ok">unchanged</span> against incumbent ${escapeHtml(incumbent.version)}`
    : `<span class="changed">changed</span> against incumbent ${escapeHtml(incumbent.version)} (was <code>${escapeHtml(theirs)}</code>)`;
}

function recordedGatesTable(gates: ApprovalPageModel['recordedGates']): string {
  if (gates.length === 0) return '<p class="neutral">CI has recorded no gate results for this version.</p>';
  const rows = gates
    .map((g) => {
      const metrics = g.metrics && Object.keys(g.metrics).length ? Object.entries(g.metrics).map(([k, val]) => `<code>${escapeHtml(k)}=${escapeHtml(val)}</code>`).join(' ') : '<span class="neutral">—</span>';
      const evidence = g.evidenceUri ? link(g.evidenceUri, g.evidenceUri) : '<span class="neutral">no evidence link</span>';
      return `<tr><td><code>${escapeHtml(g.gate)}</code></td><td class="${g.status === 'passed' ? 'ok' : 'bad'}">${escapeHtml(g.status)}</td><td>${g.required ? 'required' : '<span class="neutral">not required</span>'}</td><td>${metrics}</td><td>${evidence}</td><td>${escapeHtml(g.recordedBy)}<br><span class="neutral">${escapeHtml(g.recordedAt)}</span></td></tr>`;
    })
    .join('');
  return `<div class="scroll"><table class="ci"><tr><th>Gate</th><th>Result</th><th>Policy</th><th>Metrics</th><th>Evidence</th><th>Recorded by</th></tr>${rows}</table></div>`;
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
      // The approval the reader is asked for is not a failure: it is what this page is for.
      const awaiting = !r.met && r.code === 'APPROVAL_REQUIRED' && r.approvalStatus === 'PendingManualApproval';
      const status = r.met ? '<td class="ok">✓ met</td>' : awaiting ? '<td class="awaiting">… awaiting your decision</td>' : '<td class="bad">✗ unmet</td>';
      return `<tr>${status}<td><code>${escapeHtml(name)}</code></td><td>${escapeHtml(r.message)} ${evidence}</td></tr>`;
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
<table class="summary">
${row('Model', `<code>${escapeHtml(m.model)}</code>`)}
${m.modelDescription ? row('About the model', escapeHtml(m.modelDescription)) : ''}
${row('Owners', m.owners.length ? m.owners.map((o) => escapeHtml(o)).join(', ') : '<span class="neutral">none recorded</span>')}
${row('Approval requested by', m.trigger === 'automatic' ? `the server (${escapeHtml(m.requestedBy)}), when every gate was met` : escapeHtml(m.requestedBy))}
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
${row('Dataset vs incumbent', datasetChange(v, m.incumbent))}
${row('Image', l.image ? `${code(l.image.ref)} ${l.image.digest ? `@ ${code(l.image.digest)}` : ''}` : code(undefined))}
${row('Artifact', `${code(v.artifact.uri)}<br>${code(v.artifact.digest)}`)}
</table>
<h2>Metrics against the incumbent</h2>
${metricsTable(v, m.incumbent)}
<h2>Requirements for Production (policy)</h2>
${gatesList(m.requirements)}
<h2>CI gates recorded</h2>
${recordedGatesTable(m.recordedGates)}
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
