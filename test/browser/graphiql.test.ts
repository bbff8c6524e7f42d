// A person's first contact: GraphiQL in a real (headless) Chromium, against the sandbox's four
// providers with the dispute index, as `npm start` runs it: the Inbox tab shows open disputes in
// deadline order with their count, the example query shows disputes of all four, and the schema
// loads (Docs, autocomplete), which needs the introspection query past the data depth limit.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../src/index/sqlite.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const indexDir = mkdtempSync(join(tmpdir(), 'dg-graphiql-index-'));
let h: SandboxHarness;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (see .ci/run) or set CHROMIUM_PATH`);
  h = await startSandboxHarness(42, { gateway: { index: { store: await openEmbeddedStore(indexDir), reconcileEveryS: 3600 } } });
  // As `npm start` does: the sandbox is browsable once its fakes are indexed.
  await h.gateway.services.index!.sync.whenLive();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  // The gateway owns the store and closes it.
  await h?.close();
  rmSync(indexDir, { recursive: true, force: true });
});

/** The result pane's text, on one line (the editor renders with non-breaking spaces and wraps long values). */
const resultText = async (page: Page) => (await page.locator('.result-window').innerText()).replace(/\s+/g, ' ');

/** The query editor's text, on one line. */
const editorText = async (page: Page) => (await page.locator('.graphiql-query-editor').first().innerText()).replace(/\s+/g, ' ');

/**
 * Opens tab `n` and waits until the editor shows `shows`. Right after load, GraphiQL marks a tab
 * other than the last one as active on the first click but keeps the editor on the first tab's
 * query (a person sees the same); a second click shows it. So: click until it does.
 */
async function openTab(page: Page, n: number, shows: string) {
  await expect
    .poll(
      async () => {
        if (!(await editorText(page)).includes(shows)) await page.locator('.graphiql-tab').nth(n).click();
        return editorText(page);
      },
      { timeout: 10_000, interval: 500 },
    )
    .toContain(shows);
}

interface InboxNode {
  status: string;
  evidenceDetails: { dueBy: string | null; pastDue: boolean } | null;
  syncedAt: string | null;
}

describe('GraphiQL in a browser', () => {
  it('opens on the Inbox tab: open disputes from the index, nearest deadline first, with their count', async () => {
    const page = await browser.newPage();
    // GraphiQL runs an operation once the schema has loaded.
    const schema = page.waitForResponse((r) => (r.request().postData() ?? '').includes('IntrospectionQuery'));
    await page.goto(h.gateway.url);
    await schema;
    const tabs = page.locator('.graphiql-tab');
    await expect.poll(async () => tabs.count(), { timeout: 10_000 }).toBe(6);
    expect(await tabs.nth(0).innerText()).toContain('Inbox');
    expect(await tabs.nth(1).innerText()).toContain('Dashboard');
    expect(await tabs.nth(2).innerText()).toContain('Disputes');
    const answer = page.waitForResponse(
      (r) => r.url() === h.gateway.url && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('query Inbox'),
    );
    await page.locator('.graphiql-execute-button').click();
    const body = await (await answer).json();
    expect(body.errors).toBeUndefined();
    const { totalCount, nodes } = body.data.disputes as { totalCount: number; nodes: InboxNode[] };
    expect(nodes.length).toBe(Math.min(25, totalCount));
    expect(totalCount).toBeGreaterThan(0);
    for (const n of nodes) {
      expect(['NEEDS_RESPONSE', 'WARNING_NEEDS_RESPONSE']).toContain(n.status);
      expect(n.syncedAt).not.toBeNull();
    }
    // Deadline order: each dueBy no earlier than the one before; disputes without one come last.
    const due = nodes.map((n) => n.evidenceDetails?.dueBy ?? null);
    const dated = due.filter((d): d is string => d !== null);
    expect(due.slice(0, dated.length)).toEqual(dated);
    expect(dated.map((d) => Date.parse(d))).toEqual(dated.map((d) => Date.parse(d)).sort((a, b) => a - b));
    // The same count as the gateway gives any other client for that filter.
    const count = await h.gql(`{ disputes(first: 1, filter: { status: [NEEDS_RESPONSE, WARNING_NEEDS_RESPONSE] }) { totalCount } }`);
    expect(count.body.data.disputes.totalCount).toBe(totalCount);
    // What the person sees: the count, then the first disputes.
    await expect.poll(async () => resultText(page), { timeout: 15_000 }).toContain(`"totalCount": ${totalCount}`);
    expect(await resultText(page)).toContain(`"status": "${nodes[0]!.status}"`);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/graphiql-inbox.png' });
  }, 60_000);

  it('shows the Dashboard: totals per provider and status, win rate per reason, money at risk per currency', async () => {
    const page = await browser.newPage();
    const schema = page.waitForResponse((r) => (r.request().postData() ?? '').includes('IntrospectionQuery'));
    await page.goto(h.gateway.url);
    await schema;
    await openTab(page, 1, 'query Dashboard');
    // GraphiQL reads the tab's operation name from the editor after a debounce: run after it.
    await page.waitForTimeout(1_000);
    const answer = page.waitForResponse(
      (r) => r.url() === h.gateway.url && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('query Dashboard'),
    );
    await page.locator('.graphiql-execute-button').click();
    const body = await (await answer).json();
    expect(body.errors).toBeUndefined();
    const { totals, winRateByReason, atRisk } = body.data;
    // Every dispute of every provider counted once, across the provider-and-status groups.
    const all = await h.gql('{ disputes(first: 1) { totalCount } }');
    expect(totals.groups.reduce((n: number, g: { count: number }) => n + g.count, 0)).toBe(all.body.data.disputes.totalCount);
    expect(new Set(totals.groups.map((g: { provider: string }) => g.provider))).toEqual(new Set(['STRIPE', 'WOOSHPAY', 'FLEX', 'AFTERPAY']));
    for (const g of winRateByReason.groups) if (g.won + g.lost > 0) expect(g.winRate).toBeCloseTo(g.won / (g.won + g.lost), 10);
    expect(atRisk.groups.length).toBeGreaterThan(0);
    for (const g of atRisk.groups) expect(g.amounts[0].amount).toBeGreaterThan(0);
    // What the person sees (the pane shows the answer's first lines): the totals, as of when, the first group.
    await expect.poll(async () => resultText(page), { timeout: 15_000 }).toContain(`"asOf": "${totals.asOf}"`);
    expect(await resultText(page)).toContain(
      `"provider": "${totals.groups[0].provider}", "status": "${totals.groups[0].status}", "count": ${totals.groups[0].count}`,
    );
    await page.screenshot({ path: 'test-results/graphiql-dashboard.png' });
  }, 60_000);

  it('loads offline, runs the example query and shows disputes of all four providers', async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    const external: string[] = [];
    page.on('request', (r) => {
      if (!/^(data|blob):/.test(r.url()) && !r.url().startsWith(new URL(h.gateway.url).origin)) external.push(r.url());
    });
    // GraphiQL runs an operation once the schema has loaded.
    const schema = page.waitForResponse((r) => (r.request().postData() ?? '').includes('IntrospectionQuery'));
    await page.goto(h.gateway.url);
    await schema;
    // The third tab holds the example query (the first, the Inbox; the second, the Dashboard).
    const tabs = page.locator('.graphiql-tab');
    await expect.poll(async () => tabs.count(), { timeout: 10_000 }).toBe(6);
    await openTab(page, 2, 'query Disputes');
    const answer = page.waitForResponse(
      (r) => r.url() === h.gateway.url && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('query Disputes'),
    );
    // GraphiQL reads the tab's operation name from the editor after a debounce: run after it.
    await page.waitForTimeout(1_000);
    await page.locator('.graphiql-execute-button').click();
    const body = await (await answer).json();
    expect(body.errors).toBeUndefined();
    const providers = new Set(body.data.disputes.nodes.map((n: { provider: string }) => n.provider));
    expect([...providers].sort()).toEqual(['AFTERPAY', 'FLEX', 'STRIPE', 'WOOSHPAY']);
    const result = page.locator('.result-window');
    await expect.poll(async () => result.innerText(), { timeout: 15_000 }).toContain('"disputes"');
    // The editor renders with non-breaking spaces and wraps long values.
    const text = (await result.innerText()).replace(/\s+/g, ' ');
    // The editor renders only the lines in view: the first dispute's provider is among them.
    expect(text).toContain(`"provider": "${body.data.disputes.nodes[0].provider}"`);
    expect(text).toContain('"hasNextPage": true');
    expect(await page.title()).toBe('Dispute Gateway');
    // Then preparing evidence (its guidance first), the contest example (staging, then submitting), live events.
    expect(await tabs.nth(3).innerText()).toContain('Guidance');
    expect(await tabs.nth(4).innerText()).toContain('Stage');
    expect(await tabs.nth(5).innerText()).toContain('Events');
    expect(external).toEqual([]);
    expect(failed).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/graphiql.png' });
  }, 60_000);

  it('prepares evidence: the guidance of a dispute the person pastes in, what is missing, and a check that sends nothing', async () => {
    const open = await h.gql('{ disputes(first: 1, filter: { providers: [STRIPE], status: [NEEDS_RESPONSE] }) { nodes { id reason } } }');
    const target = open.body.data.disputes.nodes[0] as { id: string; reason: string };
    const page = await browser.newPage();
    const schema = page.waitForResponse((r) => (r.request().postData() ?? '').includes('IntrospectionQuery'));
    await page.goto(h.gateway.url);
    await schema;
    await openTab(page, 3, 'query Guidance');
    // The person pastes the dispute's id into the variables.
    const variables = page.locator('.graphiql-editor-tool .graphiql-editor').first();
    if (!(await variables.isVisible()))
      await page
        .getByRole('button', { name: /variables/i })
        .first()
        .click();
    await variables.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Backspace');
    // Pasted as one piece (typing would have the editor close each bracket and quote itself).
    await page.keyboard.insertText(JSON.stringify({ id: target.id }));

    await page.waitForTimeout(1_000);
    const answer = page.waitForResponse(
      (r) => r.url() === h.gateway.url && r.request().method() === 'POST' && /"operationName":\s*"Guidance"/.test(r.request().postData() ?? ''),
    );
    await page.locator('.graphiql-execute-button').click();

    // Several operations in the tab: GraphiQL asks which one.
    await page.getByRole('menuitem', { name: 'Guidance' }).click();

    const body = await (await answer).json();
    expect(body.errors).toBeUndefined();
    const g = body.data.dispute.evidenceGuidance;
    expect(body.data.dispute.reason).toBe(target.reason);
    expect(g.items.length).toBeGreaterThan(0);
    expect(g.sources.length).toBeGreaterThan(0);
    expect(g.completeness).toBeGreaterThanOrEqual(0);
    await expect.poll(async () => resultText(page), { timeout: 15_000 }).toContain('"evidenceGuidance"');
    // Check: the update is judged and the guidance shown as it would be; nothing reaches Stripe but reads.
    const stripe = h.fakes.get('STRIPE')!.server;
    const writesBefore = stripe.requests.filter((r) => r.method === 'POST').length;
    const checked = page.waitForResponse((r) => r.url() === h.gateway.url && /"operationName":\s*"Check"/.test(r.request().postData() ?? ''));
    await page.locator('.graphiql-execute-button').click();
    await page.getByRole('menuitem', { name: 'Check' }).click();
    const check = await (await checked).json();
    expect(check.errors).toBeUndefined();
    expect(check.data.updateDisputeEvidence.userErrors).toEqual([]);
    expect(check.data.updateDisputeEvidence.guidance.completeness).toBeGreaterThanOrEqual(g.completeness);
    expect(stripe.requests.filter((r) => r.method === 'POST').length).toBe(writesBefore);
    await page.screenshot({ path: 'test-results/graphiql-prepare-evidence.png' });
  }, 60_000);

  it('the events tab subscribes, and a close made elsewhere appears in it live', async () => {
    const page = await browser.newPage();
    // GraphiQL runs an operation once the schema has loaded.
    const schema = page.waitForResponse((r) => (r.request().postData() ?? '').includes('IntrospectionQuery'));
    await page.goto(h.gateway.url);
    await schema;
    const tabs = page.locator('.graphiql-tab');
    await expect.poll(async () => tabs.count(), { timeout: 10_000 }).toBe(6);
    // The tab's editor shows the subscription before it is run.
    await openTab(page, 5, 'subscription Events');
    // GraphiQL subscribes over server-sent events, with a GET.
    const opened = page.waitForRequest(
      (r) => r.url().startsWith(`${h.gateway.url}?`) && r.url().includes('subscription+Events') && r.headers().accept === 'text/event-stream',
    );
    // GraphiQL reads the tab's operation name from the editor after a debounce: run after it.
    await page.waitForTimeout(1_000);
    await page.locator('.graphiql-execute-button').click();
    await opened;
    await expect.poll(() => h.gateway.services.events.subscribers, { timeout: 10_000 }).toBe(1);
    // Elsewhere (another client), a Stripe dispute is closed through the gateway.
    const open = await h.gql(`{ disputes(first: 20, filter: { provider: STRIPE, status: [NEEDS_RESPONSE] }) { nodes { id providerDisputeId } } }`);
    const target = open.body.data.disputes.nodes[0];
    const closed = await h.gql(`mutation($id: ID!) { closeDispute(input: { id: $id }) { userErrors { code } } }`, { id: target.id });
    expect(closed.body.data.closeDispute.userErrors).toEqual([]);
    const result = page.locator('.result-window');
    await expect.poll(async () => (await result.innerText()).replace(/\s+/g, ' '), { timeout: 15_000 }).toContain('"type": "CLOSED"');
    expect((await result.innerText()).replace(/\s+/g, ' ')).toContain(target.providerDisputeId);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/graphiql-events.png' });
  }, 60_000);

  it('loads the schema: the page arrives compressed, Docs lists Query.disputes and autocomplete offers fields', async () => {
    const page = await browser.newPage();
    const schemaErrors: string[] = [];
    page.on('response', async (r) => {
      if (r.request().method() === 'POST' && (r.request().postData() ?? '').includes('IntrospectionQuery')) {
        const body = await r.json().catch(() => ({}));
        if (body.errors) schemaErrors.push(JSON.stringify(body.errors));
      }
    });
    const loaded = await page.goto(h.gateway.url);
    expect(loaded!.headers()['content-encoding']).toBe('br');
    await page.locator('button[aria-label="Show Documentation Explorer"]').click();
    const docs = page.locator('.graphiql-doc-explorer');
    await expect.poll(async () => docs.innerText(), { timeout: 15_000 }).toContain('query: Query');
    await docs.locator('a', { hasText: 'Query' }).first().click();
    await expect.poll(async () => docs.innerText(), { timeout: 15_000 }).toContain('disputes(');
    expect(await docs.innerText()).not.toContain('Error fetching schema');
    // Autocomplete in the query editor, from the loaded schema.
    await page.locator('.graphiql-query-editor .monaco-editor').first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('{ dis');
    await page.keyboard.press('Control+Space');
    const suggestions = page.locator('.suggest-widget').first();
    await expect.poll(async () => suggestions.innerText().catch(() => ''), { timeout: 15_000 }).toContain('disputes');
    expect(await suggestions.innerText()).toContain('disputeByProviderId');
    expect(schemaErrors).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/graphiql-docs.png' });
  }, 60_000);
});
