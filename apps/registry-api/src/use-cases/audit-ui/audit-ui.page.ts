/**
 * The audit timeline page: static HTML plus a script that calls the JSON API with a bearer token
 * the officer pastes in. The token lives in sessionStorage (gone when the tab closes, never sent
 * anywhere but this origin's API), so the server keeps no session and the page needs no cookie
 * or CSRF handling. All data is written with textContent, never as HTML.
 */
export function auditPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>model-ledger · audit timeline</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
  header { background: #1d2b3a; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 17px; margin: 0; font-weight: 600; }
  main { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; padding: 16px 20px; }
  section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 12px 14px; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
  th { color: #5b6673; font-weight: 600; }
  #timeline td:nth-child(2) { white-space: nowrap; }
  tr.event { cursor: pointer; }
  tr.event:hover { background: #f0f5ff; }
  tr.prod { background: #e8f7ee; font-weight: 600; }
  .badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; background: #e4e7eb; margin-right: 4px; }
  .badge.prod { background: #1f9d55; color: #fff; }
  .ok { color: #1f7a44; font-weight: 600; }
  .bad { color: #b42318; font-weight: 600; }
  .muted { color: #6b7280; }
  input, select, button, textarea { font: inherit; }
  input#at { width: 260px; }
  textarea#token { width: 100%; height: 48px; }
  .row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  #error { color: #b42318; }
</style>
</head>
<body>
<header><h1>model-ledger audit timeline</h1><span class="muted" id="who"></span></header>
<main>
  <section class="wide" id="signin">
    <h2>Sign in</h2>
    <p class="muted">Paste a bearer token with scope <code>audit:read</code>. It is kept in this tab's sessionStorage only.</p>
    <textarea id="token" placeholder="eyJhbGciOi..."></textarea>
    <div class="row"><button id="use-token">Use token</button><button id="sign-out">Forget token</button><span id="error" role="alert"></span></div>
  </section>
  <section class="wide">
    <div class="row">
      <label>Model <select id="model"><option value="">(sign in first)</option></select></label>
      <label>Instant <input id="at" placeholder="2026-03-03T14:00:00Z"></label>
      <button id="show-state">Show state at instant</button>
      <button id="now">Now</button>
    </div>
  </section>
  <section>
    <h2>Timeline</h2>
    <p class="muted">Click an event to see the state right after it.</p>
    <table id="timeline"><thead><tr><th>#</th><th>time</th><th>event</th><th>version</th><th>actor</th><th>reason</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>State at <span id="state-at" class="muted">—</span></h2>
    <p class="muted" id="state-last"></p>
    <table id="state"><thead><tr><th>version</th><th>stage</th><th>approval</th><th>aliases</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="wide">
    <h2>Integrity</h2>
    <p id="verify" class="muted">not checked yet</p>
    <p id="checkpoint" class="muted"></p>
  </section>
</main>
<script nonce="${nonce}">
(() => {
  const KEY = 'model-ledger.audit.token';
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; };
  const token = () => sessionStorage.getItem(KEY);
  async function api(path) {
    const res = await fetch(path, { headers: { authorization: 'Bearer ' + token() } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((body.code || res.status) + ': ' + (body.detail || res.statusText));
    return body;
  }
  function fail(err) { $('signin').hidden = false; $('error').textContent = err.message; }
  async function loadModels() {
    const page = await api('/v1/audit/events?type=ModelCreated&order=asc&limit=500');
    const select = $('model');
    select.replaceChildren(el('option', '(pick a model)'));
    select.firstChild.value = '';
    for (const row of page.items) { const o = el('option', row.model); o.value = row.model; select.append(o); }
  }
  async function loadTimeline(model) {
    const body = $('timeline').tBodies[0];
    body.replaceChildren();
    let cursor = null;
    do {
      const page = await api('/v1/audit/events?model=' + encodeURIComponent(model) + '&order=asc&limit=500' + (cursor ? '&cursor=' + cursor : ''));
      for (const e of page.items) {
        const tr = el('tr', undefined, 'event');
        tr.dataset.recordedAt = e.recordedAt;
        tr.dataset.position = e.position;
        for (const v of [e.position, e.recordedAt, e.type, e.version || '', e.actor, e.reason || '']) tr.append(el('td', v));
        tr.addEventListener('click', () => { $('at').value = e.recordedAt; showState().catch(fail); });
        body.append(tr);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  async function showState() {
    const model = $('model').value;
    if (!model) return;
    const at = $('at').value.trim();
    const s = await api('/v1/audit/models/' + encodeURIComponent(model) + '/state' + (at ? '?at=' + encodeURIComponent(at) : ''));
    $('state-at').textContent = at || 'now';
    const last = s.lastEventIncluded;
    $('state-last').textContent = 'after event #' + last.position + ' ' + last.type + ' by ' + last.actor + ' at ' + last.recordedAt + ' (' + s.eventsReplayed + ' events replayed)';
    const aliasesOf = {};
    for (const [alias, version] of Object.entries(s.state.aliases)) (aliasesOf[version] = aliasesOf[version] || []).push(alias);
    const body = $('state').tBodies[0];
    body.replaceChildren();
    for (const v of s.state.versions) {
      const aliases = (aliasesOf[v.version] || []).sort();
      const tr = el('tr', undefined, aliases.includes('prod') ? 'prod' : '');
      tr.dataset.version = v.version;
      tr.append(el('td', v.version), el('td', v.stage), el('td', v.approvalStatus));
      const td = el('td');
      for (const a of aliases) td.append(el('span', '@' + a, a === 'prod' ? 'badge prod' : 'badge'));
      tr.append(td);
      body.append(tr);
    }
  }
  async function verify() {
    const r = await api('/v1/audit/verify');
    const p = $('verify');
    if (r.ok) { p.className = 'ok'; p.textContent = 'Chain verified: ' + r.verified + ' events, up to position ' + r.lastVerifiedPosition + ', ' + r.checkpointsVerified + ' signed checkpoints valid.'; }
    else { p.className = 'bad'; p.textContent = 'BROKEN at position ' + r.broken.position + ' (' + r.broken.kind + '): ' + r.broken.message; }
    const cps = await api('/v1/audit/checkpoints?limit=1');
    const cp = cps.items[0];
    $('checkpoint').textContent = cp ? 'Last signed checkpoint: position ' + cp.covers + ' (hash ' + cp.hash.slice(0, 16) + '…), signed ' + cp.signedAt + ' with key ' + cp.kid : 'No signed checkpoint yet.';
  }
  async function start() {
    $('error').textContent = '';
    if (!token()) return;
    $('signin').hidden = true;
    await loadModels();
    await verify();
  }
  $('use-token').addEventListener('click', () => { sessionStorage.setItem(KEY, $('token').value.trim()); $('token').value = ''; start().catch(fail); });
  $('sign-out').addEventListener('click', () => { sessionStorage.removeItem(KEY); location.reload(); });
  $('model').addEventListener('change', () => { const m = $('model').value; if (m) Promise.all([loadTimeline(m), showState()]).catch(fail); });
  $('show-state').addEventListener('click', () => showState().catch(fail));
  $('now').addEventListener('click', () => { $('at').value = ''; showState().catch(fail); });
  start().catch(fail);
})();
</script>
</body>
</html>`;
}
