// `npm start` as a newcomer runs it: no credentials, a sandbox, one ready line, GraphiQL for a
// browser, GraphQL for a client, and a graceful exit when the npm process itself gets SIGTERM (as
// Docker, systemd and Kubernetes send it to the first process).
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readyUrl, spawnGateway } from '../helpers/process.js';

const ROOT = new URL('../../', import.meta.url).pathname;
let child: ChildProcess;
let url: string;
let stdout = '';
let stderr = '';

function startGatewayProcess(env: Record<string, string>): ChildProcess {
  // The same entry `npm start` runs, without npm's own output in between.
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** What the gateway wrote to stdout: npm's own "> script" banners aside, every line is JSON. */
const gatewayLines = () => stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('>'));

beforeAll(async () => {
  // `npm start` itself: it builds dist/ if needed, then runs node on the compiled gateway.
  child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; stdout: ${stdout} stderr: ${stderr}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const ready = stdout.split('\n').find((l) => l.includes('"Dispute Gateway ready"'));
      if (ready) {
        clearTimeout(timer);
        resolve(JSON.parse(ready).url);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  // stdout and stderr are two pipes: the welcome, written to stderr before the ready line, may
  // still be in flight when the ready line arrives. Give it a moment; the test below checks it.
  for (let waited = 0; !stderr.includes('query Disputes') && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
});

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('npm start without credentials', () => {
  it('logs one JSON ready line with the URL, in sandbox mode, only JSON on stdout, and an example query on stderr', () => {
    const readyLines = stdout.split('\n').filter((l) => l.includes('Dispute Gateway ready'));
    expect(readyLines).toHaveLength(1);
    expect(JSON.parse(readyLines[0]!)).toMatchObject({ level: 'info', mode: 'sandbox', providers: PROVIDER_DEFINITIONS.map((d) => d.name) });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    for (const line of gatewayLines()) expect(() => JSON.parse(line), line).not.toThrow();
    expect(stderr).toContain('query Disputes');
    expect(stdout + stderr).not.toMatch(/sk_test_sandbox[0-9a-f]{24}|sk_test_wooshsandbox|fsk_test_sandbox|apsk_sandbox/);
  });

  it('answers liveness at /healthz', async () => {
    const res = await fetch(url.replace('/graphql', '/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', unhandledRejections: 0, uncaughtExceptions: 0 });
  });

  it('serves GraphiQL to a browser, bundled (no CDN)', async () => {
    const res = await fetch(url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Dispute Gateway');
    expect(html).not.toMatch(/unpkg\.com|cdn\.jsdelivr/);
  });

  it('serves at least 250 seeded Stripe disputes over every status', async () => {
    const statuses = new Set<string>();
    let after: string | null = null;
    let count = 0;
    for (;;) {
      // With four providers configured, one provider's disputes are asked for by name.
      const res: Response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query:
            'query($after: String) { disputes(first: 100, after: $after, filter: { provider: STRIPE }) { nodes { status currency } pageInfo { hasNextPage endCursor } } }',
          variables: { after },
        }),
      });
      const body = (await res.json()) as { data: { disputes: { nodes: { status: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } };
      const page = body.data.disputes;
      count += page.nodes.length;
      for (const n of page.nodes) statuses.add(n.status);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(count).toBeGreaterThanOrEqual(250);
    expect([...statuses].sort()).toEqual([
      'APPEAL_NEEDS_RESPONSE',
      'APPEAL_UNDER_REVIEW',
      'LOST',
      'NEEDS_RESPONSE',
      'PREVENTED',
      'UNDER_REVIEW',
      'WARNING_CLOSED',
      'WARNING_NEEDS_RESPONSE',
      'WARNING_UNDER_REVIEW',
      'WON',
    ]);
  });

  it('has indexed the fakes by the time it is ready: the inbox answers from the index at once, with a count', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          '{ indexStatus { state } disputes(first: 5, orderBy: { field: DUE_BY, direction: ASC }, filter: { status: [NEEDS_RESPONSE, WARNING_NEEDS_RESPONSE] }) { totalCount nodes { evidenceDetails { dueBy } } } }',
      }),
    });
    const body = (await res.json()) as { data: any; extensions: any; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(new Set(body.data.indexStatus.map((s: { state: string }) => s.state))).toEqual(new Set(['LIVE']));
    expect(body.data.disputes.totalCount).toBeGreaterThan(100);
    const due = body.data.disputes.nodes.map((n: { evidenceDetails: { dueBy: string } }) => Date.parse(n.evidenceDetails.dueBy));
    expect(due).toEqual([...due].sort((a, b) => a - b));
    expect(body.extensions.index[0]).toMatchObject({ path: ['disputes'], complete: true });
    // Its store is a temporary folder, not the repository's ./data.
    expect(stdout).toContain('"msg":"dispute index on","store":"embedded"}');
  });

  it('runs compiled JavaScript with node, not a TypeScript loader', () => {
    expect(stdout).toContain('> exec node dist/main.js');
  });

  it('ends gracefully on SIGTERM to the npm process: the request in flight is answered, then exit 0', async () => {
    const u = new URL(url);
    const body = JSON.stringify({ query: '{ providers { provider } }' });
    // A request the gateway has begun to receive: headers and half the body, the rest after SIGTERM.
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 500);
      }, 300);
    });
    const exited = once(child, 'exit');
    const res = await answered;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).data.providers).toHaveLength(4);
    const [code] = await exited;
    expect(code).toBe(0);
    expect(stdout).toContain('"msg":"shutting down"');
    // Nothing listens any more: the gateway itself ended, not only npm.
    await expect(fetch(url.replace('/graphql', '/healthz'))).rejects.toThrow();
  });
});

describe('configuration errors', () => {
  it('refuses a malformed PORT with a clear message and exit code 1', async () => {
    const bad = startGatewayProcess({ PORT: 'eighty' });
    let err = '';
    bad.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const [code] = await once(bad, 'exit');
    expect(code).toBe(1);
    expect(err).toContain('PORT must be a positive integer');
  });
});

describe('keys read again on SIGHUP', () => {
  it('revokes a key removed from the keys file, keeps the others, and keeps the old keys when the file is broken', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dg-keys-')), 'keys.yaml');
    const key = (name: string) => `gk_sighup_${name}_0123456789abcdef`;
    const write = (names: string[]) =>
      writeFileSync(file, `keys:\n${names.map((n) => `  - name: ${n}\n    key: ${key(n)}\n    scopes: [disputes:read]\n`).join('')}`);
    write(['keep', 'drop']);
    const child = spawnGateway({ PORT: '0', SANDBOX: '1', GATEWAY_API_KEYS_FILE: file, SANDBOX_NEW_DISPUTE_EVERY_S: '0' });
    const sink = { out: '' };
    try {
      const url = await readyUrl(child, sink);
      const status = async (name: string) =>
        (
          await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key(name)}` },
            body: '{"query":"{ __typename }"}',
          })
        ).status;
      expect([await status('keep'), await status('drop')]).toEqual([200, 200]);
      write(['keep']);
      child.kill('SIGHUP');
      await expect.poll(() => status('drop'), { timeout: 5_000 }).toBe(401);
      expect(await status('keep')).toBe(200);
      writeFileSync(file, 'keys: [');
      child.kill('SIGHUP');
      await expect.poll(() => sink.out.includes('API keys not reloaded'), { timeout: 5_000 }).toBe(true);
      expect(await status('keep')).toBe(200);
      // The keys never appear in the log.
      expect(sink.out).not.toContain(key('keep'));
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }, 40_000);
});
