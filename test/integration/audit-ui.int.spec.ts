import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ManualClock, seedPromotionHistory } from '../e2e/audit.scenarios.js';
import { startTestApp, type TestApp } from '../support/app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');

// Real headless Chromium against the whole app (embedded SQLite store) over HTTP.
describe('audit timeline page in headless Chromium', () => {
  let t: TestApp;
  let browser: BrowserContext;
  let profile: string;
  let page: Page;

  beforeAll(async () => {
    const clock = new ManualClock();
    t = await startTestApp('sqlite', { AUDIT_CHECKPOINT_EVERY_EVENTS: '4', AUDIT_CHECKPOINT_INTERVAL_MINUTES: '0' }, { clock });
    await seedPromotionHistory(t, clock);
    profile = mkdtempSync(join(tmpdir(), 'ml-chromium-'));
    // A new empty profile directory per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  async function prodRow(): Promise<string | null> {
    const row = page.locator('#state tbody tr.prod');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    return row.getAttribute('data-version');
  }

  test('sign in with a pasted token, pick a model and an instant, see the version that was prod then; verify status shows', async () => {
    await page.goto(`${t.url}/audit/ui`);
    expect(await page.title()).toContain('audit timeline');
    await page.fill('#token', await t.token('carol', ['audit:read']));
    await page.click('#use-token');
    await page.locator('#model option[value="churn"]').waitFor({ state: 'attached' });
    // Verification runs after the models load; wait for its outcome rather than racing it.
    await page.locator('#checkpoint', { hasText: 'Last signed checkpoint' }).waitFor();
    expect(await page.locator('#verify').textContent()).toMatch(/^Chain verified: \d+ events, up to position \d+, [1-9]\d* signed checkpoints valid\.$/);
    expect(await page.locator('#checkpoint').textContent()).toMatch(/Last signed checkpoint: position \d+/);

    await page.fill('#at', '2026-03-03T13:00:00Z');
    await page.selectOption('#model', 'churn');
    await page.locator('#timeline tbody tr').nth(8).waitFor();
    const timeline = await page.locator('#timeline tbody tr').allTextContents();
    expect(timeline.some((r) => r.includes('RolledBack') && r.includes('rm') && r.includes('p95 latency regression'))).toBe(true);
    await page.locator('#state-at', { hasText: '2026-03-03T13:00:00Z' }).waitFor();
    expect(await prodRow()).toBe('2.0.0');
    expect(await page.locator('#state tbody tr[data-version="1.0.0"] td').nth(1).textContent()).toBe('Archived');

    await page.fill('#at', '2026-03-03T11:00:00Z');
    await page.click('#show-state');
    await page.locator('#state-at', { hasText: '2026-03-03T11:00:00Z' }).waitFor();
    expect(await prodRow()).toBe('1.0.0');
    expect(await page.locator('#state tbody tr').count()).toBe(1);

    // The token stays in this tab's sessionStorage only.
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual(['model-ledger.audit.token']);
    expect(await page.evaluate('document.cookie')).toBe('');

    await page.fill('#at', '2026-03-03T15:00:00Z');
    await page.click('#show-state');
    await page.locator('#state-at', { hasText: '2026-03-03T15:00:00Z' }).waitFor();
    expect(await prodRow()).toBe('1.0.0');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'audit-ui.png'), fullPage: true });
  }, 60_000);

  test('a token without audit:read is refused on the page with the API problem', async () => {
    const other = await browser.newPage();
    await other.goto(`${t.url}/audit/ui`);
    await other.fill('#token', await t.token('reader', ['registry:read']));
    await other.click('#use-token');
    await other.locator('#error', { hasText: 'MISSING_SCOPE' }).waitFor();
    await other.close();
  }, 30_000);
});
