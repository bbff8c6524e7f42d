// `npm start` as a newcomer runs it: no credentials, a sandbox, one ready line, GraphiQL for a
// browser, GraphQL for a client, and a clean exit on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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

beforeAll(async () => {
  child = startGatewayProcess({ PORT: '0' });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; stdout: ${stdout} stderr: ${stderr}`)), 20_000);
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
});

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('npm start without credentials', () => {
  it('logs one JSON ready line with the URL, in sandbox mode, and prints an example query', () => {
    const readyLines = stdout.split('\n').filter((l) => l.includes('Dispute Gateway ready'));
    expect(readyLines).toHaveLength(1);
    expect(JSON.parse(readyLines[0]!)).toMatchObject({ level: 'info', mode: 'sandbox', providers: ['STRIPE', 'WOOSHPAY', 'FLEX', 'AFTERPAY'] });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(stdout).toContain('query Disputes');
    expect(stdout).not.toMatch(/sk_test_sandbox[0-9a-f]{24}|sk_test_wooshsandbox|fsk_test_sandbox|apsk_sandbox/);
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
          query: 'query($after: String) { disputes(first: 100, after: $after, filter: { provider: STRIPE }) { nodes { status currency } pageInfo { hasNextPage endCursor } } }',
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
    expect([...statuses].sort()).toEqual(['LOST', 'NEEDS_RESPONSE', 'PREVENTED', 'UNDER_REVIEW', 'WARNING_CLOSED', 'WARNING_NEEDS_RESPONSE', 'WARNING_UNDER_REVIEW', 'WON']);
  });

  it('exits 0 on SIGTERM', async () => {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
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
