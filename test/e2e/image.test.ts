// The Dockerfile's steps, run as a container engine would run them, without one: each stage gets a
// clean directory as its WORKDIR, COPY takes files from the build context (minus .dockerignore) or
// from an earlier stage, RUN runs in that directory with the stage's ENV. Then the last stage's CMD
// starts the gateway, its HEALTHCHECK passes, it answers GraphQL and an index page, holds no dev
// dependency, and SIGTERM ends it with 0. Its DATA_DIR is a volume made for the image's user; run
// with credentials, the image keeps its index there, one process to it. (The image itself is not
// built here: no container engine runs in CI.) And deploy/'s compose file and Kubernetes manifest
// run more than one replica only with DATABASE_URL; one on the embedded index keeps DATA_DIR.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { startSandbox } from '../../src/sandbox/index.js';
import { ROOT } from '../helpers/process.js';

interface Stage {
  name: string;
  dir: string;
  env: Record<string, string>;
  cmd?: string[];
  healthcheck?: string[];
  user?: string;
  /** Stands in for the stage's root filesystem: a path outside WORKDIR, such as DATA_DIR, lives under it here. */
  root: string;
  /** Directories a RUN made outside WORKDIR, with the user it handed each to. */
  made: Map<string, string>;
  volumes: string[];
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
      const n = stages.length;
      stage = { name: m[1] ?? `stage${n}`, dir: join(work, `stage${n}`), env: {}, root: join(work, `stage${n}-root`), made: new Map(), volumes: [] };
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
      // A directory outside WORKDIR handed to a user: neither the root filesystem nor chown is ours
      // here, so the step's exact form is checked and the directory made under the stand-in root.
      const made = /^mkdir -p (\/\S+) && chown (\w+)(?::\w+)? \1$/.exec(args);
      if (made) {
        stage!.made.set(made[1]!, made[2]!);
        mkdirSync(join(stage!.root, made[1]!), { recursive: true });
        continue;
      }
      if (/(^|\s)\/(?!app(\/|\s|$))/.test(args)) throw new Error(`a RUN outside /app the test cannot replay: ${args}`);
      // The machine's own npm settings (registry, proxy, certificates) stand in for the build's network.
      execFileSync('sh', ['-c', args], { cwd: stage!.dir, env: { ...process.env, PATH: path, ...stage!.env }, stdio: 'pipe', timeout: 240_000 });
    } else if (op === 'CMD') {
      stage!.cmd = JSON.parse(args);
    } else if (op === 'HEALTHCHECK') {
      stage!.healthcheck = JSON.parse(args.slice(args.indexOf('CMD') + 3).trim());
    } else if (op === 'USER') {
      stage!.user = args;
    } else if (op === 'VOLUME') {
      for (const v of args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/)) {
        // Made before it is declared: the legacy builder drops a later step's changes to a volume.
        if (!stage!.made.has(v)) throw new Error(`VOLUME ${v} is declared before a RUN makes it, or never made`);
        stage!.volumes.push(v);
      }
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

let built: Stage | undefined;
/** The image, built once for the tests below. */
const image = () => (built ??= build());

/** The environment the image's CMD runs with here: its ENV, this machine's node, DATA_DIR under the stand-in root. */
function runEnv(img: Stage, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
    HOME: process.env.HOME ?? '/tmp',
    ...img.env,
    DATA_DIR: join(img.root, img.env.DATA_DIR!),
    HOST: '127.0.0.1',
    PORT: String(port),
    ALLOWED_HOSTS: '127.0.0.1',
    SANDBOX_NEW_DISPUTE_EVERY_S: '0',
    ...extra,
  };
}

function run(img: Stage, env: Record<string, string>): { child: ChildProcess; out: () => string } {
  const child = spawn(img.cmd![0]!, img.cmd!.slice(1), { cwd: img.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, out: () => out };
}

async function gql<T>(port: number, query: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

interface IndexPage {
  indexStatus: { provider: string; state: string }[];
  disputes: { totalCount: number; nodes: { evidenceDetails: { dueBy: string | null } | null }[] };
}
const INDEX_PAGE =
  '{ indexStatus { provider state } disputes(first: 10, orderBy: { field: DUE_BY, direction: ASC }) { totalCount nodes { evidenceDetails { dueBy } } } }';

/** Every account LIVE; a page of ten in deadline order (undated ones last), out of the count. */
function expectIndexPage(page: IndexPage, providers: number) {
  expect(page.indexStatus).toHaveLength(providers);
  expect(page.indexStatus.map((a) => a.state)).toEqual(page.indexStatus.map(() => 'LIVE'));
  expect(page.disputes.nodes).toHaveLength(10);
  expect(page.disputes.totalCount).toBeGreaterThanOrEqual(10);
  const due = page.disputes.nodes.map((n) => n.evidenceDetails?.dueBy ?? null);
  const dated = due.filter((d): d is string => d !== null);
  expect(due.slice(0, dated.length)).toEqual(dated);
  expect(dated.map(Date.parse)).toEqual(dated.map(Date.parse).sort((a, b) => a - b));
}

describe('the Dockerfile', () => {
  it('declares DATA_DIR a volume, a directory of its own made and handed to the image user before it is declared', () => {
    const img = image();
    expect(img.env.DATA_DIR).toBe('/data');
    expect(img.volumes).toEqual([img.env.DATA_DIR]);
    // Its owner is the user the image runs as (build() checked the mkdir/chown step's form and that it comes before VOLUME).
    expect(img.made.get(img.env.DATA_DIR!)).toBe(img.user);
    expect(existsSync(join(img.root, img.env.DATA_DIR!))).toBe(true);
    // Not under WORKDIR, which is root's: node could not write there.
    expect(img.env.DATA_DIR!.startsWith('/app')).toBe(false);
  }, 300_000);

  it('builds in clean directories, and its image starts, is healthy, answers, serves an index page, and stops on SIGTERM', async () => {
    const img = image();
    expect(img.user).toBe('node');
    expect(img.cmd).toEqual(['node', 'dist/main.js']);
    // Production dependencies only; no TypeScript sources.
    for (const dev of ['typescript', 'vitest', 'tsx', 'playwright-core', '@graphql-codegen/cli'])
      expect(existsSync(join(img.dir, 'node_modules', dev))).toBe(false);
    for (const dep of ['graphql-yoga', 'prom-client', 'stripe']) expect(existsSync(join(img.dir, 'node_modules', dep))).toBe(true);
    expect(existsSync(join(img.dir, 'src'))).toBe(false);
    const port = await freePort();
    const env = runEnv(img, port);
    const { child, out } = run(img, env);
    try {
      await expect.poll(() => out().includes('"Dispute Gateway ready"'), { timeout: 20_000 }).toBe(true);
      const health = spawn(img.healthcheck![0]!, img.healthcheck!.slice(1), { env, stdio: 'ignore' });
      const [code] = await once(health, 'exit');
      expect(code).toBe(0);
      const data = await gql<{ disputes: { nodes: unknown[] } }>(port, '{ disputes(first: 2) { nodes { id provider } } }');
      expect(data.disputes.nodes).toHaveLength(2);
      // The sandbox (no credentials) is ready once its fakes are indexed: every account LIVE.
      expectIndexPage(await gql<IndexPage>(port, INDEX_PAGE), 4);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const [exit] = await once(child, 'exit');
    expect(exit).toBe(0);
    // The sandbox kept its index in a temporary folder: DATA_DIR is untouched.
    expect(readdirSync(env.DATA_DIR!)).toEqual([]);
  }, 300_000);

  it('with credentials, keeps its index in DATA_DIR, and a second process on that DATA_DIR is refused, pointing at DATABASE_URL', async () => {
    const img = image();
    // Real providers stand in: the sandbox's fakes, reached as a live gateway reaches its providers.
    const fakes = await startSandbox(7, { count: 30 });
    const dataDir = join(img.root, img.env.DATA_DIR!);
    try {
      const port = await freePort();
      const creds = { ...fakes.env, GATEWAY_AUTH: 'none' };
      const first = run(img, runEnv(img, port, creds));
      try {
        await expect.poll(() => first.out().includes('"Dispute Gateway ready"'), { timeout: 20_000 }).toBe(true);
        expect(first.out()).toContain('"mode":"live"');
        await expect.poll(async () => (await gql<IndexPage>(port, INDEX_PAGE)).indexStatus.every((a) => a.state === 'LIVE'), { timeout: 30_000 }).toBe(true);
        expectIndexPage(await gql<IndexPage>(port, INDEX_PAGE), fakes.fakes.length);
        expect(readdirSync(dataDir)).toEqual(expect.arrayContaining(['index.sqlite', 'index.lock']));
        // The lock file names the holder (its pid and host) for the refusal's message; SQLite's own lock decides.
        expect(readFileSync(join(dataDir, 'index.lock'), 'utf8').trim()).toBe(`${first.child.pid} ${hostname()}`);
        // A second replica on the same volume: refused at start.
        const second = run(img, runEnv(img, await freePort(), creds));
        // Should it start after all, it is not left running.
        const stray = setTimeout(() => second.child.kill('SIGKILL'), 20_000);
        const [code] = await once(second.child, 'exit');
        clearTimeout(stray);
        expect(code).toBe(1);
        expect(second.out()).toMatch(new RegExp(`in use by process ${first.child.pid} on .*DATABASE_URL`));
      } finally {
        first.child.kill('SIGTERM');
      }
      const [exit] = await once(first.child, 'exit');
      expect(exit).toBe(0);
      // The index stays on the volume for the next start; the lock goes with the process.
      expect(readdirSync(dataDir)).toContain('index.sqlite');
      expect(existsSync(join(dataDir, 'index.lock'))).toBe(false);
    } finally {
      await fakes.close();
    }
  }, 120_000);
});

/** A gateway workload in deploy/: how many replicas, which variables it sets, whether DATA_DIR is on a persistent volume. */
interface Workload {
  where: string;
  replicas: number;
  env: Set<string>;
  persistentDataDir: boolean;
  /** A Deployment's rollout: a rolling update runs the new pod beside the old. */
  recreate?: boolean;
}

/** The rule: several replicas share the index on PostgreSQL (and the rest on Redis); one on the embedded index keeps DATA_DIR. */
function replicaProblems(w: Workload): string[] {
  if (w.replicas > 1) return ['DATABASE_URL', 'REDIS_URL'].filter((v) => !w.env.has(v)).map((v) => `${w.where}: ${w.replicas} replicas without ${v}`);
  if (w.env.has('DATABASE_URL')) return [];
  return [
    ...(w.persistentDataDir ? [] : [`${w.where}: the embedded index without a persistent volume at DATA_DIR`]),
    ...(w.recreate === false ? [`${w.where}: the embedded index with a rolling update (two pods at once)`] : []),
  ];
}

type Doc = Record<string, any>;
/** The image's DATA_DIR (the gateway's own default without it). */
const DATA_DIR =
  instructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
    .find((i) => i.op === 'ENV' && i.args.startsWith('DATA_DIR='))
    ?.args.slice(9) ?? './data';

function composeWorkloads(compose: Doc): Workload[] {
  return Object.entries(compose.services as Record<string, Doc>)
    .filter(([, svc]) => svc.build !== undefined)
    .map(([name, svc]) => {
      // `environment` as a map or as a list of NAME=value; a variable counts when it has a value.
      const env: Record<string, string> = Array.isArray(svc.environment)
        ? Object.fromEntries(svc.environment.map((e: string) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]))
        : { ...svc.environment };
      const dataDir = env.DATA_DIR || DATA_DIR;
      const named = Object.keys(compose.volumes ?? {});
      return {
        where: `docker-compose.yml ${name}`,
        replicas: svc.deploy?.replicas ?? svc.scale ?? 1,
        env: new Set(Object.keys(env).filter((k) => env[k])),
        persistentDataDir: (svc.volumes ?? []).some((v: string) => named.includes(v.split(':')[0]!) && v.split(':')[1] === dataDir),
      };
    });
}

function kubernetesWorkloads(docs: Doc[]): Workload[] {
  return docs
    .filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')
    .map((d) => {
      const pod = d.spec.template.spec;
      const gateway = (pod.containers as Doc[]).find((c) => String(c.image).startsWith('dispute-gateway'))!;
      // A variable counts when given a value, or taken from a Secret key that must exist.
      const env = (gateway.env ?? []).filter((e: Doc) => e.value !== undefined || (e.valueFrom?.secretKeyRef && !e.valueFrom.secretKeyRef.optional));
      const dataDir: string = env.find((e: Doc) => e.name === 'DATA_DIR')?.value ?? DATA_DIR;
      const mount = (gateway.volumeMounts ?? []).find((m: Doc) => m.mountPath === dataDir);
      const claims = new Set([
        ...(pod.volumes ?? []).filter((v: Doc) => v.persistentVolumeClaim).map((v: Doc) => v.name),
        ...(d.spec.volumeClaimTemplates ?? []).map((t: Doc) => t.metadata.name),
      ]);
      return {
        where: `kubernetes.yaml ${d.kind} ${d.metadata.name}`,
        replicas: d.spec.replicas ?? 1,
        env: new Set<string>(env.map((e: Doc) => e.name)),
        persistentDataDir: mount !== undefined && claims.has(mount.name),
        ...(d.kind === 'Deployment' && { recreate: d.spec.strategy?.type === 'Recreate' }),
      };
    });
}

describe('deploy/', () => {
  const compose = parseYaml(readFileSync(join(ROOT, 'deploy/docker-compose.yml'), 'utf8')) as Doc;
  const kubernetes = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes.yaml'), 'utf8')).map((d) => d.toJS() as Doc);

  it('runs more than one replica only with DATABASE_URL (and REDIS_URL); one replica on the embedded index keeps DATA_DIR on a volume', () => {
    const workloads = [...composeWorkloads(compose), ...kubernetesWorkloads(kubernetes)];
    expect(workloads.map((w) => w.where)).toEqual(['docker-compose.yml gateway', 'kubernetes.yaml Deployment dispute-gateway']);
    expect(workloads.flatMap(replicaProblems)).toEqual([]);
    // compose: one replica, the embedded index on its named volume; Kubernetes: two, on PostgreSQL.
    expect(workloads.map((w) => [w.replicas, w.env.has('DATABASE_URL'), w.persistentDataDir])).toEqual([
      [1, false, true],
      [2, true, false],
    ]);
  });

  it('the rule is not vacuous: scaled without DATABASE_URL, or on the embedded index without a volume or with a rolling update, it fails', () => {
    const scaled = structuredClone(compose);
    scaled.services.gateway.deploy = { replicas: 2 };
    expect(composeWorkloads(scaled).flatMap(replicaProblems)).toEqual([
      'docker-compose.yml gateway: 2 replicas without DATABASE_URL',
      'docker-compose.yml gateway: 2 replicas without REDIS_URL',
    ]);
    const unmounted = structuredClone(compose);
    delete unmounted.services.gateway.volumes;
    expect(composeWorkloads(unmounted).flatMap(replicaProblems)).toEqual([
      'docker-compose.yml gateway: the embedded index without a persistent volume at DATA_DIR',
    ]);
    const single = structuredClone(kubernetes);
    const deployment = single.find((d) => d.kind === 'Deployment')!;
    deployment.spec.replicas = 1;
    const container = deployment.spec.template.spec.containers[0];
    container.env = container.env.filter((e: Doc) => e.name !== 'DATABASE_URL' && e.name !== 'REDIS_URL');
    expect(kubernetesWorkloads(single).flatMap(replicaProblems)).toEqual([
      'kubernetes.yaml Deployment dispute-gateway: the embedded index without a persistent volume at DATA_DIR',
      'kubernetes.yaml Deployment dispute-gateway: the embedded index with a rolling update (two pods at once)',
    ]);
    // As the manifest's comment says to run it on the embedded index: it passes.
    deployment.spec.strategy = { type: 'Recreate' };
    container.volumeMounts.push({ name: 'data', mountPath: '/data' });
    deployment.spec.template.spec.volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'dispute-gateway-data' } });
    expect(kubernetesWorkloads(single).flatMap(replicaProblems)).toEqual([]);
  });
});
