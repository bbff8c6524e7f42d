// The Dockerfile's steps, run as a container engine would run them, without one: each stage gets a
// clean directory as its WORKDIR, COPY takes files from the build context (minus .dockerignore) or
// from an earlier stage, RUN runs in that directory with the stage's ENV. Then the last stage's CMD
// starts the gateway, its HEALTHCHECK passes, it answers GraphQL, holds no dev dependency, and
// SIGTERM ends it with 0. (The image itself is not built here: no container engine runs in CI.)
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.js';

interface Stage {
  name: string;
  dir: string;
  env: Record<string, string>;
  cmd?: string[];
  healthcheck?: string[];
  user?: string;
}

const work = mkdtempSync(join(tmpdir(), 'dg-image-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Instructions with their continuation lines joined; comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: l.slice(op!.length).trim() };
    });
}

const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter(Boolean);
const isIgnored = (rel: string) => ignored.some((p) => (p.startsWith('*') ? rel.endsWith(p.slice(1)) : rel === p || rel.startsWith(`${p}/`)));

function copy(from: string, to: string, base: string, fromContext: boolean) {
  cpSync(from, to, { recursive: true, filter: (src) => !fromContext || !isIgnored(src.slice(base.length + 1)) });
}

/** Runs the Dockerfile's stages; returns the last. */
function build(): Stage {
  const stages: Stage[] = [];
  let stage: Stage | undefined;
  // The Node running this suite stands in for the base image's (node:22 and 24 in CI).
  const path = `${dirname(process.execPath)}:${process.env.PATH}`;
  for (const { op, args } of instructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))) {
    if (op === 'FROM') {
      const m = /^\S+(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stage = { name: m[1] ?? `stage${stages.length}`, dir: join(work, `stage${stages.length}`), env: {} };
      mkdirSync(stage.dir, { recursive: true });
      stages.push(stage);
    } else if (op === 'WORKDIR') {
      expect(args).toBe('/app');
    } else if (op === 'ENV') {
      const [k, v] = args.split('=');
      stage!.env[k!] = v!;
    } else if (op === 'COPY') {
      const parts = args.split(/\s+/);
      const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice(7) : null;
      const fromStage = from === null ? null : stages.find((s) => s.name === from)!;
      const dest = parts.pop()!;
      for (const src of parts) {
        const base = fromStage ? fromStage.dir : ROOT;
        const source = join(base, src.replace(/^\/app\//, ''));
        const target = dest.endsWith('/') ? join(stage!.dir, dest, src.split('/').pop()!) : join(stage!.dir, dest);
        copy(source, target, base, !fromStage);
      }
    } else if (op === 'RUN') {
      // The machine's own npm settings (registry, proxy, certificates) stand in for the build's network.
      execFileSync('sh', ['-c', args], { cwd: stage!.dir, env: { ...process.env, PATH: path, ...stage!.env }, stdio: 'pipe', timeout: 240_000 });
    } else if (op === 'CMD') {
      stage!.cmd = JSON.parse(args);
    } else if (op === 'HEALTHCHECK') {
      stage!.healthcheck = JSON.parse(args.slice(args.indexOf('CMD') + 3).trim());
    } else if (op === 'USER') {
      stage!.user = args;
    } else if (op !== 'EXPOSE') {
      throw new Error(`Dockerfile instruction the test does not know: ${op}`);
    }
  }
  return stage!;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('the Dockerfile', () => {
  it('builds in clean directories, and its image starts, is healthy, answers, and stops on SIGTERM', async () => {
    const image = build();
    expect(image.user).toBe('node');
    expect(image.cmd).toEqual(['node', 'dist/main.js']);
    // Production dependencies only; no TypeScript sources.
    for (const dev of ['typescript', 'vitest', 'tsx', 'playwright-core', '@graphql-codegen/cli'])
      expect(existsSync(join(image.dir, 'node_modules', dev))).toBe(false);
    for (const dep of ['graphql-yoga', 'prom-client', 'stripe']) expect(existsSync(join(image.dir, 'node_modules', dep))).toBe(true);
    expect(existsSync(join(image.dir, 'src'))).toBe(false);
    const port = await freePort();
    const env = {
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      HOME: process.env.HOME ?? '/tmp',
      ...image.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      ALLOWED_HOSTS: '127.0.0.1',
      SANDBOX_NEW_DISPUTE_EVERY_S: '0',
    };
    const child = spawn(image.cmd![0]!, image.cmd!.slice(1), { cwd: image.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await expect.poll(() => out.includes('"Dispute Gateway ready"'), { timeout: 20_000 }).toBe(true);
      const health = spawn(image.healthcheck![0]!, image.healthcheck!.slice(1), { env, stdio: 'ignore' });
      const [code] = await once(health, 'exit');
      expect(code).toBe(0);
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ disputes(first: 2) { nodes { id provider } } }"}',
      });
      expect(((await res.json()) as { data: { disputes: { nodes: unknown[] } } }).data.disputes.nodes).toHaveLength(2);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const [exit] = await once(child, 'exit');
    expect(exit).toBe(0);
  }, 300_000);
});
