import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { approversFile } from '../support/approvers.js';
import { issueLinks } from '../support/links.js';
import { policyFile } from '../support/policy.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');

// Said plainly when Chromium is absent (scripts/services.sh up chromium installs it; CI does).
const haveChromium = existsSync(CHROMIUM) || !!process.env.CI;
if (!haveChromium) console.warn(`skipped: ${CHROMIUM} missing — approver page in headless Chromium`);

/** The approver page in real headless Chromium: open the link, read it, click Approve, reuse the link. */
(haveChromium ? describe : describe.skip)('approver page in headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    // Playwright gives each launch a fresh, empty profile directory of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    t = await startTestApp('sqlite', {
      APPROVERS_FILE: approversFile(),
      APPROVAL_REQUESTS_AUTO: 'false',
      POLICY_FILE: policyFile({ default: { gates: { production: ['lineage-complete', 'image-pinned', 'model-card', { name: 'fairness', max: { subgroup_gap: 0.05 } }] } } }),
    });
  });
  afterEach(async () => {
    await t?.close();
  });

  test('open the link, see lineage and gates, approve, see the confirmation; the link then says it was used', async () => {
    const alice = await t.token('alice', ['registry:read', 'registry:write', 'gates:write']);
    const lead = await t.token('lead', ['registry:read', 'approvals:write']);
    const rm = await t.token('rm', ['registry:read', 'registry:promote']);
    await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn', description: 'Predicts churn of paying customers within 90 days.', owners: ['alice', 'carol'] } });
    await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('6.0.0', 6, { metrics: { auc: 0.9, recall: 0.7 }, modelCard: 'v6' }) });
    await t.call('POST', '/v1/models/churn/versions/6.0.0/gates', { token: alice, body: { gate: 'fairness', status: 'passed', metrics: { subgroup_gap: 0.03 } } });
    await t.call('POST', '/v1/models/churn/versions/6.0.0/approvals', { token: lead, body: { decision: 'approve' } });
    await t.call('POST', '/v1/models/churn/versions/6.0.0/transitions', { token: rm, body: { stage: 'Production' } });
    const card = '# Churn 7\nGradient-boosted trees on 18 months of usage.\n<script>document.title="pwned"</script>';
    await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('7.0.0', 7, { metrics: { auc: 0.92, recall: 0.68 }, modelCard: card }) });
    await t.call('POST', '/v1/models/churn/versions/7.0.0/gates', { token: alice, body: { gate: 'fairness', status: 'passed', metrics: { subgroup_gap: 0.02 }, evidenceUri: 'https://ci.example.com/runs/7/fairness' } });
    // A gate the policy does not require is shown too, with its evidence.
    await t.call('POST', '/v1/models/churn/versions/7.0.0/gates', { token: alice, body: { gate: 'canary', status: 'passed', metrics: { error_rate: 0.001 }, evidenceUri: 'https://ci.example.com/runs/7/canary' } });
    const [link] = await issueLinks(t, lead, 'churn', '7.0.0', ['bob']);

    const context = await browser.newContext({ viewport: { width: 1000, height: 1500 } });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const res = await page.goto(link.url);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['x-frame-options']).toBe('DENY');
    await expect(page.title()).resolves.toContain('Approve churn 7.0.0');
    const lineage = await page.locator('table.lineage').innerText();
    expect(lineage).toContain('run-7');
    expect(lineage).toContain('a'.repeat(40));
    const body = await page.locator('main').innerText();
    expect(body).toContain('Incumbent 6.0.0');
    expect(body).toContain('<script>document.title="pwned"</script>'); // shown as text, not run
    expect(await page.locator('table.gates a[href="https://ci.example.com/runs/7/fairness"]').count()).toBe(1);
    expect(await page.locator('table.ci a[href="https://ci.example.com/runs/7/fairness"]').count()).toBe(1);
    const gates = await page.locator('table.gates').innerText();
    for (const g of ['approvals', 'lineage-complete', 'image-pinned', 'model-card', 'fairness']) expect(gates).toContain(g);
    expect(gates).not.toContain('unmet\tfairness');
    // The approval asked of the reader is awaited, not a failure.
    expect(gates).toContain('awaiting your decision');
    expect(gates).not.toContain('✗');
    const summary = await page.locator('table.summary').innerText();
    expect(summary).toContain('Predicts churn of paying customers');
    expect(summary).toContain('alice, carol');
    expect(summary).toMatch(/Approval requested by\s+lead/);
    expect(lineage).toMatch(/Dataset vs incumbent\s+changed against incumbent 6\.0\.0/);
    const ci = await page.locator('table.ci').innerText();
    expect(ci).toMatch(/canary\s+passed\s+not required\s+error_rate=0\.001/);
    expect(ci).toMatch(/fairness\s+passed\s+required\s+subgroup_gap=0\.02/);
    expect(await page.locator('table.ci a[href="https://ci.example.com/runs/7/canary"]').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'approval-page.png'), fullPage: true });
    // Long digests wrap: on a phone-sized viewport nothing is wider than the screen.
    await page.setViewportSize({ width: 420, height: 1400 });
    // (the CI table scrolls inside its own box instead of breaking words)
    for (const table of ['main', 'table.lineage', 'table.gates', 'div.scroll', 'table.summary']) {
      const box = await page.locator(table).boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(420);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'approval-page-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1000, height: 1500 });

    await page.fill('textarea[name=comment]', 'Lineage and metrics checked.');
    await Promise.all([page.waitForNavigation(), page.click('button.approve')]);
    expect(await page.locator('h1').innerText()).toBe('Approval recorded');
    expect(await page.locator('[role=status]').innerText()).toContain('Status: Approved (1 of 1 approvals)');
    await page.screenshot({ path: join(ARTIFACTS, 'approval-confirmed.png'), fullPage: true });

    const again = await page.goto(link.url);
    expect(again!.status()).toBe(409);
    expect(await page.locator('[role=status]').innerText()).toMatch(/already used: bob approved churn 7\.0\.0 at/);
    expect(dialogs).toEqual([]);
    await context.close();

    const v = await t.call('GET', '/v1/models/churn/versions/7.0.0', { token: rm });
    expect(v.body.approvals).toEqual([expect.objectContaining({ sub: 'bob', comment: 'Lineage and metrics checked.' })]);
  });
});
