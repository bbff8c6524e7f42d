// A person's first contact: GraphiQL in a real (headless) Chromium, against the sandbox's four
// providers, running the default example query and showing disputes of all four.
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let h: SandboxHarness;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (see .ci/run) or set CHROMIUM_PATH`);
  h = await startSandboxHarness(42);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('GraphiQL in a browser', () => {
  it('loads offline, runs the example query and shows disputes of all four providers', async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    const external: string[] = [];
    page.on('request', (r) => {
      if (!/^(data|blob):/.test(r.url()) && !r.url().startsWith(new URL(h.gateway.url).origin)) external.push(r.url());
    });
    await page.goto(h.gateway.url);
    const answer = page.waitForResponse((r) => r.url() === h.gateway.url && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('query Disputes'));
    await page.locator('.graphiql-execute-button').click();
    const body = await (await answer).json();
    expect(body.errors).toBeUndefined();
    const providers = new Set(body.data.disputes.nodes.map((n: { provider: string }) => n.provider));
    expect([...providers].sort()).toEqual(['AFTERPAY', 'FLEX', 'STRIPE', 'WOOSHPAY']);
    const result = page.locator('.result-window');
    await expect.poll(async () => result.innerText(), { timeout: 15_000 }).toContain('"disputes"');
    // The editor renders with non-breaking spaces and wraps long values.
    const text = (await result.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('"provider": "STRIPE"');
    expect(text).toContain('"hasNextPage": true');
    expect(await page.title()).toBe('Dispute Gateway');
    expect(external).toEqual([]);
    expect(failed).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/graphiql.png' });
  }, 60_000);
});
