// `npm run bench`: what the gateway costs, measured side by side in one run against
//   (a) direct: the provider fake's REST endpoint itself (the floor),
//   (b) proxy: a hand-written node:http + undici server returning the same JSON (the floor for any gateway),
//   (c) the gateway, with the GraphQL query returning the same fields,
//   (d) with --peers, on the one-by-id and page scenarios: GraphQL Mesh on Hive Gateway (bench/peer.ts).
// These live scenarios run the gateway with INDEX=off: they measure the live path. The index
// scenarios (inbox, stats: bench/index-scenarios.ts) run gateways of their own over fakes holding
// BENCH_INDEX_DISPUTES disputes, and report their throughput against the live one-by-id read's.
// Each process runs on its own (fakes, proxy, gateway); autocannon loads them from here, variants
// alternating within each round. Writes bench/results.json and prints a markdown table.
//
//   BENCH_DURATION seconds per measurement (3), BENCH_WARMUP (1), BENCH_ROUNDS (2),
//   BENCH_CONNECTIONS (1,32), BENCH_SCENARIOS (one,page,merged,repeated,inbox,stats), BENCH_PROFILE=1 (cpu profile of the gateway;
//   of the index scenarios' gateway too, in bench/profile/index),
//   BENCH_OUT (where results go; bench/results.json), BENCH_GATEWAY_NODE_OPTIONS (Node options for the gateway only),
//   BENCH_INDEX_DISPUTES (disputes over the index scenarios' fakes, a quarter each; 100000),
//   BENCH_INDEX_SETTLE_S (how long the index scenarios' gateways rest before their RSS is read at rest; 30)
//   BENCH_INDEX_REMINDERS=on (the indexed gateway with its default deadline reminders; off otherwise, see index-scenarios.ts)
//   --peers (or BENCH_PEERS=1): also variant (d), the peer; installs bench/peers/ on first use.
//   --compression (or BENCH_COMPRESSION=1): what compressed answers cost: the page of 100 asked with
//   each Accept-Encoding (identity, gzip, br, zstd) alternately; throughput and bytes per answer.
//   --features (or BENCH_FEATURES=1): what the optional features buy: the default gateway against one
//   with PERSISTED_DOCUMENTS=only (the client sends an id) and one with RESPONSE_CACHE_TTL_MS=60000, on
//   the one-by-id and page scenarios at the largest connection count, alternating; under `features`.
//   --ops (or BENCH_OPS=1): also what operating costs: the gateway with metrics off, and with tracing on
//   (OTLP to a sink here that answers 200), against the default gateway (metrics on, tracing off), on
//   the one-by-id and page scenarios at the largest connection count, alternating; results under `ops`.
//   --stores (or BENCH_STORES=1): the embedded store candidates, node:sqlite (the index's own) against
//   PGlite, under the index's workload (bench/stores.ts); installs bench/stores/ on first use; results
//   under `results.stores`. With BENCH_SCENARIOS set empty, that alone.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { encodeDisputeId } from '../src/domain/ids.js';
import { PROVIDER_DEFINITIONS } from '../src/providers/registry.js';
import { MERGED_FIELDS, ONE_FIELDS, PAGE_FIELDS } from './shapes.js';
import { comparable, PEER_NAME, PEER_QUERIES, peerAsGateway, startPeer } from './peer.js';
import { INDEX_LABELS, INDEX_SCENARIOS, prepareIndex } from './index-scenarios.js';
import { compareStores } from './stores.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,32').split(',').map(Number);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'one,page,merged,repeated,inbox,stats').split(',').filter(Boolean);
const INDEXED = SCENARIOS.filter((s) => INDEX_SCENARIOS.includes(s));
const LIVE = SCENARIOS.filter((s) => !INDEX_SCENARIOS.includes(s));
const INDEX_DISPUTES = Number(process.env.BENCH_INDEX_DISPUTES ?? 100_000);
const ROOT = new URL('../', import.meta.url).pathname;
// The proxy bundled to plain JavaScript. Sources that find files beside themselves (the schema
// directory, package.json) keep their own location: `import.meta.url` is each source file's URL.
const sourceUrls: Plugin = {
  name: 'source-urls',
  setup(b) {
    b.onLoad({ filter: /\/src\/.*\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};
const PROXY_JS = join(ROOT, 'bench/.build/proxy.mjs');
const GATEWAY_JS = join(ROOT, 'dist/main.js');
const OPS = process.argv.includes('--ops') || process.env.BENCH_OPS === '1';
const COMPRESSION = process.argv.includes('--compression') || process.env.BENCH_COMPRESSION === '1';
const FEATURES = process.argv.includes('--features') || process.env.BENCH_FEATURES === '1';
const PEERS = process.argv.includes('--peers') || process.env.BENCH_PEERS === '1';
const STORES = process.argv.includes('--stores') || process.env.BENCH_STORES === '1';

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  upstreamPerOp: number;
}

/** Every process the bench started, stopped however the bench ends. */
const started: ChildProcess[] = [];
function child(script: string, env: Record<string, string>, args: string[] = []): Promise<{ proc: ChildProcess; first: Record<string, any> }> {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc = spawn(process.execPath, [...args, ...loader, script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const json = JSON.parse(line);
          if (json.url || json.env) {
            proc.stdout!.off('data', onData);
            proc.stdout!.resume();
            resolve({ proc, first: json });
            return;
          }
        } catch {
          // not a complete line yet
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`${script} exited ${code}: ${out}`)));
  });
}

const status = (pid: number, field: 'VmHWM' | 'VmRSS'): number => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};
const peakRssMiB = (pid: number) => status(pid, 'VmHWM');
const round3 = (x: number) => Number(x.toFixed(3));

const agent = new Agent({ connections: 128, keepAliveTimeout: 10_000 });
const counts = async (control: string): Promise<number> => {
  const res = await request(`${control}/counts`, { dispatcher: agent });
  const c = (await res.body.json()) as Record<string, number>;
  return Object.values(c).reduce((a, b) => a + b, 0);
};

async function cannon(opts: autocannon.Options): Promise<Measured> {
  await autocannon({ ...opts, duration: WARMUP });
  const r = await autocannon({ ...opts, duration: DURATION });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    errors: r.errors + r.non2xx + r.timeouts,
    upstreamPerOp: NaN,
  };
}

/** Upstream calls per operation, exactly: a few operations one at a time, counted at the fakes. */
async function probe(send: () => Promise<void>, control: string, times = 5): Promise<number> {
  const before = await counts(control);
  for (let i = 0; i < times; i++) await send();
  return ((await counts(control)) - before) / times;
}

/** For the direct merged floor: one operation is four provider calls at once (autocannon takes one host). */
async function loop(operation: () => Promise<void>, connections: number): Promise<Measured> {
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          await operation();
          latencies.push(performance.now() - t);
        }
      }),
    );
    return latencies;
  };
  await run(WARMUP);
  const latencies = (await run(DURATION)).sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { rps: latencies.length / DURATION, p50: at(0.5), p99: at(0.99), requests: latencies.length, errors: 0, upstreamPerOp: NaN };
}

async function main() {
  const startedAt = performance.now();
  if (SCENARIOS.length === 0) return storesAlone(startedAt);
  // The gateway runs as `npm start` runs it, from the compiled dist/; the proxy, bundled to plain
  // JavaScript the same way, so neither pays a TypeScript loader (the fakes, not compared, keep tsx).
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  await build({
    entryPoints: [join(ROOT, 'bench/proxy.ts')],
    outfile: PROXY_JS,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    logLevel: 'warning',
    plugins: [sourceUrls],
  });
  const fakes = await child('bench/fakes.ts', {});
  const env: Record<string, string> = fakes.first.env;
  const control: string = fakes.first.control;
  const ids: Record<string, string[]> = fakes.first.ids;
  // The live scenarios measure the live path: the index off, said explicitly (it is on by default).
  const quiet = { ...Object.fromEntries(PROVIDER_DEFINITIONS.map((d) => [`${d.name}_RATE_LIMIT`, '0'])), INDEX: 'off' };
  const proxy = await child(PROXY_JS, env);
  const gatewayArgs = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=bench/profile'] : [];
  const gateway = await child(
    GATEWAY_JS,
    {
      ...env,
      ...quiet,
      PORT: '0',
      GATEWAY_AUTH: 'none',
      LOG_LEVEL: 'info',
      GRAPHIQL: 'off',
      ...(process.env.BENCH_GATEWAY_NODE_OPTIONS && { NODE_OPTIONS: process.env.BENCH_GATEWAY_NODE_OPTIONS }),
    },
    gatewayArgs,
  );
  const gatewayUrl: string = gateway.first.url;
  const proxyUrl: string = proxy.first.url;
  const idleOf = (pid: number) => status(pid, 'VmRSS');
  const peer = PEERS ? await startPeer({ STRIPE_API_BASE: env.STRIPE_API_BASE!, STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY! }) : undefined;
  if (peer) started.push(peer.proc);
  // Idle RSS: after start, before any request, once startup's garbage has had a moment.
  await new Promise((r) => setTimeout(r, 1000));
  const idle = { proxy: idleOf(proxy.proc.pid!), gateway: idleOf(gateway.proc.pid!), ...(peer && { peer: idleOf(peer.proc.pid!) }) };

  const stripeId = ids.STRIPE![0]!;
  const gid = encodeDisputeId({ provider: 'STRIPE', account: 'default', providerDisputeId: stripeId });
  const basic = `Basic ${Buffer.from(`${env.STRIPE_SECRET_KEY}:`).toString('base64')}`;
  const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });
  const ONE_QUERY = `query One($id: ID!) { dispute(id: $id) { ${ONE_FIELDS} } }`;
  const PAGE_QUERY = `{ disputes(first: 100, filter: { provider: STRIPE }) { nodes { ${PAGE_FIELDS} } } }`;
  const MERGED_QUERY = `{ disputes(first: 50) { nodes { ${MERGED_FIELDS} } } }`;
  const json = { 'content-type': 'application/json' };

  type Run = (c: number) => Promise<Measured>;
  const scenarios: Record<
    string,
    { label: string; direct: Run; proxy: Run; gateway: Run; peer?: { run: Run; body: string; read: (data: any) => unknown }; check: [string, string, string] }
  > = {
    one: {
      label: 'one dispute by id',
      direct: (c) => cannon({ url: `${env.STRIPE_API_BASE}/v1/disputes/${stripeId}`, connections: c, headers: { authorization: basic } }),
      proxy: (c) => cannon({ url: `${proxyUrl}/one?id=${stripeId}`, connections: c }),
      gateway: (c) => cannon({ url: gatewayUrl, method: 'POST', headers: json, body: gql(ONE_QUERY, { id: gid }), connections: c }),
      ...(peer && {
        peer: {
          run: (c: number) => cannon({ url: peer.url, method: 'POST', headers: json, body: PEER_QUERIES.one(stripeId), connections: c }),
          body: PEER_QUERIES.one(stripeId),
          read: (d: any) => peerAsGateway(d.GetDisputesDispute),
        },
      }),
      check: [`${proxyUrl}/one?id=${stripeId}`, gql(ONE_QUERY, { id: gid }), 'dispute'],
    },
    page: {
      label: 'page of 100 with evidence',
      direct: (c) => cannon({ url: `${env.STRIPE_API_BASE}/v1/disputes?limit=100`, connections: c, headers: { authorization: basic } }),
      proxy: (c) => cannon({ url: `${proxyUrl}/page`, connections: c }),
      gateway: (c) => cannon({ url: gatewayUrl, method: 'POST', headers: json, body: gql(PAGE_QUERY), connections: c }),
      ...(peer && {
        peer: {
          run: (c: number) => cannon({ url: peer.url, method: 'POST', headers: json, body: PEER_QUERIES.page(), connections: c }),
          body: PEER_QUERIES.page(),
          read: (d: any) => ({ nodes: d.GetDisputes.data.map(peerAsGateway) }),
        },
      }),
      check: [`${proxyUrl}/page`, gql(PAGE_QUERY), 'disputes'],
    },
    merged: {
      label: 'merged page of 50, four providers',
      direct: (c) =>
        loop(async () => {
          const urls = [
            [`${env.STRIPE_API_BASE}/v1/disputes?limit=51`, basic],
            [`${env.WOOSHPAY_API_BASE}/v1/disputes/list?limit=51`, `Basic ${Buffer.from(`${env.WOOSHPAY_SECRET_KEY}:`).toString('base64')}`],
            [`${env.FLEX_API_BASE}/v1/disputes?limit=51&expand=evidence`, `Bearer ${env.FLEX_API_KEY}`],
            [
              `${env.AFTERPAY_API_BASE}/v2/disputes?offset=0&limit=51`,
              `Basic ${Buffer.from(`${env.AFTERPAY_MERCHANT_ID}:${env.AFTERPAY_SECRET_KEY}`).toString('base64')}`,
            ],
          ];
          await Promise.all(
            urls.map(async ([url, authorization]) => {
              const res = await request(url!, { dispatcher: agent, headers: { authorization: authorization!, 'user-agent': 'bench/1' } });
              await res.body.arrayBuffer();
            }),
          );
        }, c),
      proxy: (c) => cannon({ url: `${proxyUrl}/merged`, connections: c }),
      gateway: (c) => cannon({ url: gatewayUrl, method: 'POST', headers: json, body: gql(MERGED_QUERY), connections: c }),
      check: [`${proxyUrl}/merged`, gql(MERGED_QUERY), 'disputes'],
    },
    repeated: {
      label: 'same query repeated (parse/validate cached)',
      direct: (c) => cannon({ url: `${env.STRIPE_API_BASE}/v1/disputes/${stripeId}`, connections: c, headers: { authorization: basic } }),
      proxy: (c) => cannon({ url: `${proxyUrl}/one?id=${stripeId}`, connections: c }),
      // The same document every time, with the id inlined: yoga's parse and validate caches hit.
      gateway: (c) => cannon({ url: gatewayUrl, method: 'POST', headers: json, body: gql(`{ dispute(id: "${gid}") { ${ONE_FIELDS} } }`), connections: c }),
      check: [`${proxyUrl}/one?id=${stripeId}`, gql(`{ dispute(id: "${gid}") { ${ONE_FIELDS} } }`), 'dispute'],
    },
  };

  const unknown = LIVE.filter((name) => !(name in scenarios));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: no scenario ${unknown.join(', ')} (${[...Object.keys(scenarios), ...INDEX_SCENARIOS].join(', ')})`);
  // The gateway and the proxy must return the same data, or the comparison means nothing.
  for (const name of LIVE) {
    const [proxyCheck, body, key] = scenarios[name]!.check;
    const p = (await (await request(proxyCheck, { dispatcher: agent })).body.json()) as { data: Record<string, unknown> };
    const g = (await (await request(gatewayUrl, { dispatcher: agent, method: 'POST', headers: json, body })).body.json()) as { data: Record<string, unknown> };
    if (!isDeepStrictEqual(p.data[key], g.data[key])) throw new Error(`scenario ${name}: the proxy and the gateway return different data`);
    const pe = scenarios[name]!.peer;
    if (pe && peer) {
      const d = (await (await request(peer.url, { dispatcher: agent, method: 'POST', headers: json, body: pe.body })).body.json()) as {
        data: unknown;
        errors?: unknown;
      };
      const ours = g.data[key] as Record<string, any>;
      const expected = name === 'one' ? comparable(ours) : { nodes: (ours.nodes as Record<string, unknown>[]).map(comparable) };
      if (!isDeepStrictEqual(pe.read(d.data), expected))
        throw new Error(`scenario ${name}: the peer and the gateway return different data: ${JSON.stringify(d).slice(0, 500)}`);
    }
  }

  // Upstream calls per operation, per scenario and variant, measured exactly before the load.
  const perOp: Record<string, Record<string, number>> = {};
  const fetchText = async (url: string, init?: Parameters<typeof request>[1]) => {
    const res = await request(url, { dispatcher: agent, ...init });
    await res.body.text();
  };
  for (const name of LIVE) {
    const [proxyCheck, body] = scenarios[name]!.check;
    perOp[name] = {
      proxy: await probe(() => fetchText(proxyCheck), control),
      gateway: await probe(() => fetchText(gatewayUrl, { method: 'POST', headers: json, body }), control),
      direct: name === 'merged' ? 4 : 1,
      ...(scenarios[name]!.peer &&
        peer && { peer: await probe(() => fetchText(peer.url, { method: 'POST', headers: json, body: scenarios[name]!.peer!.body }), control) }),
    };
  }

  // The index scenarios' gateways and fakes, backfilled and checked before any load.
  const index =
    INDEXED.length > 0
      ? await prepareIndex({
          disputes: INDEX_DISPUTES,
          child,
          gatewayJs: GATEWAY_JS,
          gatewayEnv: { ...quiet, PORT: '0', GATEWAY_AUTH: 'none', LOG_LEVEL: 'info', GRAPHIQL: 'off' },
          gatewayArgs: process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=bench/profile/index'] : [],
          agent,
          warmup: WARMUP,
          duration: DURATION,
          settleSeconds: Number(process.env.BENCH_INDEX_SETTLE_S ?? 30),
        })
      : undefined;

  // An uncached variant of the repeated query (a new document each time), to show what the caches save.
  let n = 0;
  const uncached = (c: number) =>
    cannon({
      url: gatewayUrl,
      method: 'POST',
      headers: json,
      connections: c,
      requests: [{ setupRequest: (req: any) => ({ ...req, body: gql(`# ${(n += 1)}\n{ dispute(id: "${gid}") { ${ONE_FIELDS} } }`) }) }],
    } as autocannon.Options);

  const results: Record<string, Record<number, Record<string, Measured[]>>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of LIVE) {
      for (const c of CONNECTIONS) {
        const slot = ((results[name] ??= {})[c] ??= { direct: [], proxy: [], gateway: [], uncached: [], peer: [] });
        // Alternate the variants, and their order between rounds, so drift hits them alike.
        const s = scenarios[name]!;
        const variants: [string, Run][] = [
          ['direct', s.direct],
          ['proxy', s.proxy],
          ['gateway', s.gateway],
          ...(s.peer ? [['peer', s.peer.run] as [string, Run]] : []),
        ];
        if (round % 2 === 1) variants.reverse();
        for (const [v, run] of variants) slot[v]!.push(await run(c));
        if (name === 'repeated') slot.uncached!.push(await uncached(c));
      }
    }
    for (const name of INDEXED) {
      for (const c of CONNECTIONS) {
        const slot = ((results[name] ??= {})[c] ??= {});
        const variants = Object.entries(index!.runs[name]!);
        if (round % 2 === 1) variants.reverse();
        for (const [v, run] of variants) (slot[v] ??= []).push(await run(c));
      }
    }
  }

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const agg = (ms: Measured[]): Measured | null =>
    ms.length === 0
      ? null
      : {
          rps: mean(ms.map((m) => m.rps)),
          p50: mean(ms.map((m) => m.p50)),
          p99: mean(ms.map((m) => m.p99)),
          requests: ms.reduce((a, m) => a + m.requests, 0),
          errors: ms.reduce((a, m) => a + m.errors, 0),
          upstreamPerOp: mean(ms.map((m) => m.upstreamPerOp)),
        };
  const rss = {
    direct: peakRssMiB(fakes.proc.pid!),
    proxy: peakRssMiB(proxy.proc.pid!),
    gateway: peakRssMiB(gateway.proc.pid!),
    ...(peer && { peer: peakRssMiB(peer.proc.pid!) }),
  };

  const rows: string[] = [];
  const out: Record<string, any> = {};
  // Each round measures the pair side by side: its ratio is one sample; the spread of the samples is the noise.
  const perRound = (num: Measured[], den: Measured[]) => num.map((m, i) => m.rps / den[i]!.rps);
  const spread = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs) });
  rows.push(
    '| scenario | conns | variant | req/s | p50 ms | p99 ms | upstream calls/op | thr (c)/(b) | thr (c)/(a) | p50 (c)/(b) | p50 (c)/(a) | thr (c)/(d) |',
  );
  rows.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const name of LIVE) {
    for (const c of CONNECTIONS) {
      const slot = results[name]![c]!;
      const a = { ...agg(slot.direct!)!, upstreamPerOp: perOp[name]!.direct! };
      const b = { ...agg(slot.proxy!)!, upstreamPerOp: perOp[name]!.proxy! };
      const g = { ...agg(slot.gateway!)!, upstreamPerOp: perOp[name]!.gateway! };
      const un = agg(slot.uncached!);
      const u = un && { ...un, upstreamPerOp: perOp[name]!.gateway! };
      const pe = agg(slot.peer!);
      const d = pe && { name: PEER_NAME, ...pe, upstreamPerOp: perOp[name]!.peer! };
      const samples = perRound(slot.gateway!, slot.proxy!);
      const ratios = {
        throughputVsProxy: g.rps / b.rps,
        throughputVsProxySpread: spread(samples),
        throughputVsDirect: g.rps / a.rps,
        p50VsProxy: g.p50 / b.p50,
        p50VsDirect: g.p50 / a.p50,
        ...(u && { uncachedVsProxy: u.rps / b.rps, uncachedVsProxySpread: spread(perRound(slot.uncached!, slot.proxy!)) }),
        ...(d && { throughputVsPeer: g.rps / d.rps, throughputVsPeerSpread: spread(perRound(slot.gateway!, slot.peer!)) }),
      };
      (out[name] ??= {})[c] = { direct: a, proxy: b, gateway: g, ...(u && { gatewayUncached: u }), ...(d && { peer: d }), ratios };
      // A ratio over a p50 that rounds to 0 ms says nothing: shown as n/a.
      const f = (x: number, dd = 1) => (Number.isFinite(x) ? x.toFixed(dd) : 'n/a');
      const line = (variant: string, m: Measured, extra = '| | | | |') =>
        `| ${scenarios[name]!.label} | ${c} | ${variant} | ${f(m.rps, 0)} | ${f(m.p50)} | ${f(m.p99)} | ${f(m.upstreamPerOp, 2)} ${extra}`;
      const range = (r: { min: number; max: number }) => (samples.length > 1 ? ` (${f(r.min, 2)}–${f(r.max, 2)})` : '');
      rows.push(line('(a) direct', a, '| | | | | |'));
      rows.push(line('(b) proxy', b, '| | | | | |'));
      rows.push(
        line(
          '(c) gateway',
          g,
          `| ${f(ratios.throughputVsProxy, 2)}${range(ratios.throughputVsProxySpread)} | ${f(ratios.throughputVsDirect, 2)} | ${f(ratios.p50VsProxy, 2)} | ${f(ratios.p50VsDirect, 2)} | ${d ? `${f(ratios.throughputVsPeer!, 2)}${range(ratios.throughputVsPeerSpread!)}` : ''} |`,
        ),
      );
      if (u)
        rows.push(
          line(
            '(c) gateway, new document each time',
            u,
            `| ${f(u.rps / b.rps, 2)}${range(ratios.uncachedVsProxySpread!)} | ${f(u.rps / a.rps, 2)} | ${f(u.p50 / b.p50, 2)} | ${f(u.p50 / a.p50, 2)} | |`,
          ),
        );
      if (d) rows.push(line(`(d) peer: ${PEER_NAME}`, d, '| | | | | |'));
    }
  }
  // The index scenarios: each variant's throughput, and the index's against the live one-by-id
  // read of the same round (and, for the inbox, against the same page asked of the live path).
  const indexReport = index?.report();
  if (index) {
    const f = (x: number, dd = 2) => (Number.isFinite(x) ? x.toFixed(dd) : 'n/a');
    const range = (r: { min: number; max: number }) => (ROUNDS > 1 ? ` (${f(r.min)}–${f(r.max)})` : '');
    rows.push(
      '',
      `| index scenario, ${INDEX_DISPUTES.toLocaleString('en')} disputes | conns | variant | req/s | p50 ms | p99 ms | upstream calls/op | thr ÷ live one by id | thr ÷ same page live |`,
      '|---|---|---|---|---|---|---|---|---|',
    );
    const VARIANTS: Record<string, string> = {
      gateway: 'gateway, INDEX=on',
      totalCount: 'gateway, INDEX=on: the stand-in, disputes(first: 1) { totalCount }',
      live: 'gateway, INDEX=off: the same page, live (no order by deadline, no count)',
    };
    for (const name of INDEXED) {
      for (const c of CONNECTIONS) {
        const slot = results[name]![c]!;
        const one = results.one?.[c]?.gateway;
        const measured = Object.fromEntries(Object.keys(slot).map((v) => [v, { ...agg(slot[v]!)!, upstreamPerOp: index.perOp[name]![v]! }]));
        const g = measured.gateway!;
        // Each index variant against the live one-by-id read of its round; the inbox also against its live page.
        const vsOne = (v: string) => one && { throughputVsOne: measured[v]!.rps / agg(one)!.rps, throughputVsOneSpread: spread(perRound(slot[v]!, one)) };
        const ratios = {
          ...vsOne('gateway'),
          ...(slot.live && { throughputVsLive: g.rps / measured.live!.rps, throughputVsLiveSpread: spread(perRound(slot.gateway!, slot.live)) }),
          ...(slot.totalCount && one && { totalCount: vsOne('totalCount') }),
        };
        (out[name] ??= {})[c] = { ...measured, ratios };
        const line = (variant: string, m: Measured, extra: string) =>
          `| ${INDEX_LABELS[name]} | ${c} | ${VARIANTS[variant]} | ${f(m.rps, 0)} | ${f(m.p50, 1)} | ${f(m.p99, 1)} | ${f(m.upstreamPerOp)} | ${extra} |`;
        const ratioText = (r: { throughputVsOne: number; throughputVsOneSpread: { min: number; max: number } } | undefined) =>
          r ? `${f(r.throughputVsOne, 4)}${range(r.throughputVsOneSpread)}` : '';
        for (const v of Object.keys(measured)) {
          if (v === 'gateway')
            rows.push(
              line(
                v,
                g,
                `${ratioText(vsOne(v))} | ${ratios.throughputVsLive !== undefined ? `${f(ratios.throughputVsLive)}${range(ratios.throughputVsLiveSpread!)}` : ''}`,
              ),
            );
          else rows.push(line(v, measured[v]!, v === 'live' ? ' | ' : `${ratioText(vsOne(v))} | `));
        }
      }
    }
    const b = indexReport!.backfill;
    const m = indexReport!.rssMiB;
    rows.push(
      '',
      '| index: backfill and memory | |',
      '|---|---|',
      `| backfill, gateway start to every account LIVE | ${indexReport!.disputes.toLocaleString('en')} disputes in ${f(b.seconds, 1)} s (ready after ${f(b.readySeconds, 1)} s): ${b.perSecond}/s |`,
      `| bare list walk of the same fakes, before and after (plain HTTP, pages of 100, four at once) | ${b.walks.map((w: any) => `${f(w.seconds, 1)} s: ${w.perSecond}/s`).join('; ')} |`,
      `| backfill ÷ bare walk | ${f(b.vsWalk)} (${f(b.vsWalkSpread.min)}–${f(b.vsWalkSpread.max)}) |`,
      `| RSS 1 s after every account is LIVE: INDEX=on / INDEX=off (started then) | ${m.indexed.afterBackfill} / ${m.off.afterStart} MiB = ${f(m.afterBackfillVsOff)} (peak during backfill ${m.indexed.peakBackfill} MiB) |`,
      `| RSS at rest, ${m.settleSeconds} s after: INDEX=on / INDEX=off | ${m.indexed.atRest} / ${m.off.atRest} MiB = ${f(m.atRestVsOff)} (heap ${m.reportedAtRest.indexed.heapTotal} / ${m.reportedAtRest.off.heapTotal} MiB) |`,
      `| peak RSS: INDEX=on during inbox / INDEX=off during the same page, live | ${m.indexed.peakInbox} / ${m.off.peakLoad} MiB = ${f(m.peakInboxVsOff)} |`,
    );
  }

  // The issue's targets, at 32 connections. A target fails the run only when missed by more than the
  // noise measured for it: half the range of its per-round samples (with one round, no noise is known).
  const at = (name: string) => out[name]?.[32]?.ratios;
  const targets = [
    { what: 'one by id: gateway/proxy throughput', r: at('one'), key: 'throughputVsProxy', min: 0.8 },
    { what: 'page of 100: gateway/proxy throughput', r: at('page'), key: 'throughputVsProxy', min: 0.8 },
    { what: 'merged page of 50: gateway/proxy throughput', r: at('merged'), key: 'throughputVsProxy', min: 0.85 },
    { what: 'new document each time: gateway/proxy throughput', r: at('repeated'), key: 'uncachedVsProxy', min: 0.5 },
    { what: 'inbox from the index / live one by id, throughput', r: at('inbox'), key: 'throughputVsOne', min: 1.0 },
    { what: 'stats from the index / live one by id, throughput', r: at('stats'), key: 'throughputVsOne', min: 0.3 },
    ...(indexReport && CONNECTIONS.includes(32)
      ? [{ what: 'index backfill / bare list walk, disputes per second', r: indexReport.backfill, key: 'vsWalk', min: 0.5 }]
      : []),
  ]
    .filter((t) => t.r?.[t.key] !== undefined)
    .map((t) => {
      const value = t.r[t.key] as number;
      const s = t.r[`${t.key}Spread`] as { min: number; max: number };
      const noise = (s.max - s.min) / 2;
      return {
        what: `${t.what} ≥ ${t.min}`,
        value: round3(value),
        spread: { min: round3(s.min), max: round3(s.max) },
        noise: round3(noise),
        min: t.min,
        met: value >= t.min,
        failed: value < t.min - noise,
      };
    });
  if (CONNECTIONS.includes(32)) {
    const value = rss.gateway / rss.proxy;
    targets.push({
      what: 'peak RSS: gateway/proxy ≤ 1.3',
      value: round3(value),
      spread: { min: round3(value), max: round3(value) },
      noise: 0,
      min: 1.3,
      met: value <= 1.3,
      failed: value > 1.3,
    });
  }
  if (indexReport && CONNECTIONS.includes(32)) {
    const m = indexReport.rssMiB;
    for (const [what, value] of [
      [`index RSS at rest after backfill (${m.settleSeconds} s): INDEX=on/INDEX=off ≤ 1.5`, m.atRestVsOff],
      ['index peak RSS during inbox: INDEX=on/INDEX=off under the same page ≤ 1.5', m.peakInboxVsOff],
    ] as const)
      targets.push({
        what,
        value: round3(value),
        spread: { min: round3(value), max: round3(value) },
        noise: 0,
        min: 1.5,
        met: value <= 1.5,
        failed: value > 1.5,
      });
  }
  const errors = Object.values(results)
    .flatMap((byC) => Object.values(byC).flatMap((s) => Object.values(s).flat()))
    .reduce((n, m) => n + m.errors, 0);

  const ops = OPS
    ? await operatingCost({
        env: { ...env, ...quiet },
        gateway: gatewayUrl,
        bodies: { one: gql(ONE_QUERY, { id: gid }), page: gql(PAGE_QUERY) },
        connections: Math.max(...CONNECTIONS),
      })
    : undefined;
  if (ops) rows.push('', ...ops.rows);
  const features = FEATURES
    ? await featureGain({
        env: { ...env, ...quiet },
        gateway: gatewayUrl,
        queries: { one: [ONE_QUERY, { id: gid }], page: [PAGE_QUERY, {}] },
        connections: Math.max(...CONNECTIONS),
      })
    : undefined;
  if (features) rows.push('', ...features.rows);
  const compression = COMPRESSION ? await compressionCost(gatewayUrl, gql(PAGE_QUERY), Math.max(...CONNECTIONS)) : undefined;
  if (compression) rows.push('', ...compression.rows);
  index?.stop();
  const stores = STORES ? await compareStores(INDEX_DISPUTES) : undefined;
  if (stores) rows.push('', ...stores.rows);

  const report = {
    when: new Date().toISOString(),
    node: process.version,
    settings: { duration: DURATION, warmup: WARMUP, rounds: ROUNDS, connections: CONNECTIONS, peers: PEERS, indexDisputes: INDEX_DISPUTES },
    peakRssMiB: rss,
    idleRssMiB: idle,
    errors,
    targets,
    results: { ...out, ...(stores && { stores: stores.results }) },
    ...(indexReport && { index: indexReport }),
    ...(ops && { ops: ops.results }),
    ...(compression && { compression: compression.results }),
    ...(features && { features: features.results }),
    seconds: Math.round((performance.now() - startedAt) / 1000),
  };
  const outFile = process.env.BENCH_OUT ?? new URL('./results.json', import.meta.url).pathname;
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(rows.join('\n'));
  console.log(
    `\npeak RSS (MiB): direct (fakes) ${rss.direct}, proxy ${rss.proxy}, gateway ${rss.gateway}${peer ? `, peer ${rss.peer}` : ''}; idle RSS after start (MiB): proxy ${idle.proxy}, gateway ${idle.gateway}${peer ? `, peer ${idle.peer}` : ''}; non-2xx or errors: ${errors}`,
  );
  for (const t of targets)
    console.log(
      `${t.met ? 'MET ' : t.failed ? 'FAIL' : 'MISS'} ${t.what}: ${t.value} (rounds ${t.spread.min}–${t.spread.max}${t.failed || t.met ? '' : ', within the noise'})`,
    );
  console.log(`(direct, merged: four provider calls per operation from an undici loop; the rest autocannon) ${report.seconds} s; wrote ${outFile}`);

  for (const p of [gateway.proc, proxy.proc, fakes.proc, ...(peer ? [peer.proc] : [])]) p.kill('SIGTERM');
  await agent.close();
  const failed = targets.filter((t) => t.failed);
  if (failed.length > 0) console.log(`bench: ${failed.length} target(s) missed by more than the measured noise`);
  process.exit(errors > 0 || failed.length > 0 ? 1 : 0);
}

/** `--stores` with BENCH_SCENARIOS set empty: the embedded store candidates alone. */
async function storesAlone(startedAt: number) {
  if (!STORES) throw new Error('BENCH_SCENARIOS is empty: nothing to measure (with --stores, the store candidates alone)');
  const stores = await compareStores(INDEX_DISPUTES);
  const report = {
    when: new Date().toISOString(),
    node: process.version,
    settings: { indexDisputes: INDEX_DISPUTES },
    results: { stores: stores.results },
    seconds: Math.round((performance.now() - startedAt) / 1000),
  };
  const outFile = process.env.BENCH_OUT ?? new URL('./results.json', import.meta.url).pathname;
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(stores.rows.join('\n'));
  console.log(`${report.seconds} s; wrote ${outFile}`);
}

/**
 * Each variant measured once a round, in turn, their order reversed every other round so drift hits
 * them alike; the mean req/s of each. Any error fails the run.
 */
async function alternately<K extends string>(what: string, variants: Record<K, () => Promise<Measured>>): Promise<Record<K, number>> {
  const keys = Object.keys(variants) as K[];
  const runs = Object.fromEntries(keys.map((k) => [k, [] as Measured[]])) as Record<K, Measured[]>;
  for (let round = 0; round < ROUNDS; round++) for (const k of round % 2 === 0 ? keys : [...keys].reverse()) runs[k].push(await variants[k]());
  const errors = keys.flatMap((k) => runs[k]).reduce((n, m) => n + m.errors, 0);
  if (errors > 0) throw new Error(`${what}: ${errors} errors`);
  return Object.fromEntries(keys.map((k) => [k, runs[k].reduce((a, m) => a + m.rps, 0) / runs[k].length])) as Record<K, number>;
}

/**
 * What persisted documents and the response cache buy: two more gateways (PERSISTED_DOCUMENTS=only
 * with a manifest of the scenarios' documents, asked by id; RESPONSE_CACHE_TTL_MS=60000), measured
 * alternately with the default one, each scenario's answers checked equal first.
 */
async function featureGain(o: {
  env: Record<string, string>;
  gateway: string;
  queries: Record<string, [string, Record<string, unknown>]>;
  connections: number;
}) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-features-'));
  const manifest = join(dir, 'persisted-documents.json');
  const id = (q: string) => createHash('sha256').update(q).digest('hex');
  writeFileSync(manifest, JSON.stringify(Object.fromEntries(Object.values(o.queries).map(([q]) => [id(q), q]))));
  const base = { ...o.env, PORT: '0', GATEWAY_AUTH: 'none', LOG_LEVEL: 'info', GRAPHIQL: 'off' };
  const persisted = await child(GATEWAY_JS, { ...base, PERSISTED_DOCUMENTS: 'only', PERSISTED_DOCUMENTS_FILE: manifest });
  const cached = await child(GATEWAY_JS, { ...base, RESPONSE_CACHE_TTL_MS: '60000' });
  const json = { 'content-type': 'application/json' };
  const results: Record<string, unknown> = {};
  const rows = [
    '| optional features | conns | default | persisted document (id) | response cache on | persisted / default | cached / default |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const [name, [query, variables]] of Object.entries(o.queries)) {
    const bodies = {
      default: JSON.stringify({ query, variables }),
      persisted: JSON.stringify({ documentId: id(query), variables }),
      cached: JSON.stringify({ query, variables }),
    };
    const urls = { default: o.gateway, persisted: persisted.first.url as string, cached: cached.first.url as string };
    const answers = await Promise.all(
      (['default', 'persisted', 'cached'] as const).map(
        async (v) => (await (await request(urls[v], { dispatcher: agent, method: 'POST', headers: json, body: bodies[v] })).body.json()) as { data: unknown },
      ),
    );
    if (!answers.every((a) => isDeepStrictEqual(a.data, answers[0]!.data))) throw new Error(`features, ${name}: the gateways answer differently`);
    const load = (v: keyof typeof urls) => () => cannon({ url: urls[v], method: 'POST', headers: json, body: bodies[v], connections: o.connections });
    const r = await alternately(`features, ${name}`, { default: load('default'), persisted: load('persisted'), cached: load('cached') });
    results[name] = { rps: r, persistedVsDefault: r.persisted / r.default, cachedVsDefault: r.cached / r.default };
    rows.push(
      `| ${name} | ${o.connections} | ${r.default.toFixed(0)} | ${r.persisted.toFixed(0)} | ${r.cached.toFixed(0)} | ${(r.persisted / r.default).toFixed(3)} | ${(r.cached / r.default).toFixed(3)} |`,
    );
  }
  for (const p of [persisted.proc, cached.proc]) p.kill('SIGTERM');
  return { rows, results };
}

/** What compression costs: the same page asked with each encoding, alternately; the bytes each answer takes. */
async function compressionCost(url: string, body: string, connections: number) {
  const encodings = ['identity', 'gzip', 'br', 'zstd'];
  const bytes: Record<string, number> = {};
  for (const e of encodings) {
    const res = await request(url, { dispatcher: agent, method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': e }, body });
    bytes[e] = (await res.body.arrayBuffer()).byteLength;
    if (e !== 'identity' && res.headers['content-encoding'] !== e)
      throw new Error(`compression: asked for ${e}, got ${String(res.headers['content-encoding'])}`);
  }
  const mean = await alternately(
    'compression',
    Object.fromEntries(
      encodings.map((e) => [
        e,
        () => cannon({ url, method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': e }, body, connections }),
      ]),
    ),
  );
  const rps = (e: string) => mean[e]!;
  const results = Object.fromEntries(encodings.map((e) => [e, { rps: rps(e), bytes: bytes[e], throughputVsIdentity: rps(e) / rps('identity') }]));
  const rows = [
    '| compression (page of 100) | conns | req/s | bytes/answer | throughput vs identity |',
    '|---|---|---|---|---|',
    ...encodings.map((e) => `| ${e} | ${connections} | ${rps(e).toFixed(0)} | ${bytes[e]} | ${(rps(e) / rps('identity')).toFixed(3)} |`),
  ];
  return { rows, results };
}

/**
 * What metrics and tracing cost: two more gateways (metrics off; tracing on, exporting by OTLP to a
 * sink in this process), measured alternately with the default one (metrics on, tracing off).
 */
async function operatingCost(o: { env: Record<string, string>; gateway: string; bodies: Record<string, string>; connections: number }) {
  let spansBytes = 0;
  const sink = createServer((req, res) => {
    req.on('data', (c: Buffer) => (spansBytes += c.length));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const base = { ...o.env, PORT: '0', GATEWAY_AUTH: 'none', LOG_LEVEL: 'info', GRAPHIQL: 'off' };
  const off = await child(GATEWAY_JS, { ...base, METRICS: 'off' });
  const traced = await child(GATEWAY_JS, { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_BSP_SCHEDULE_DELAY: '500' });
  const urls = { metricsOff: off.first.url as string, default: o.gateway, tracingOn: traced.first.url as string };
  const json = { 'content-type': 'application/json' };
  const results: Record<string, Record<string, Measured>> = {};
  const rows = [
    '| operating cost | conns | metrics off | default (metrics on) | tracing on | metrics on / off | tracing on / off |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const [name, body] of Object.entries(o.bodies)) {
    const load = (v: keyof typeof urls) => () => cannon({ url: urls[v], method: 'POST', headers: json, body, connections: o.connections });
    const r = await alternately(`operating cost, ${name}`, { metricsOff: load('metricsOff'), default: load('default'), tracingOn: load('tracingOn') });
    results[name] = { rps: r, metricsOnVsOff: r.default / r.metricsOff, tracingOnVsOff: r.tracingOn / r.default } as never;
    rows.push(
      `| ${name} | ${o.connections} | ${r.metricsOff.toFixed(0)} | ${r.default.toFixed(0)} | ${r.tracingOn.toFixed(0)} | ${(r.default / r.metricsOff).toFixed(3)} | ${(r.tracingOn / r.default).toFixed(3)} |`,
    );
  }
  rows.push(`(spans exported to the sink: ${(spansBytes / 1024).toFixed(0)} KiB)`);
  if (spansBytes === 0) throw new Error('operating cost: the tracing gateway exported no spans');
  for (const p of [off.proc, traced.proc]) p.kill('SIGTERM');
  sink.close();
  return { rows, results };
}

main().catch((err: unknown) => {
  console.error(err);
  for (const p of started) p.kill('SIGTERM');
  process.exit(1);
});
