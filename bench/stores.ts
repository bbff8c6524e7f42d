// `npm run bench -- --stores`: the embedded store candidates under the index's workload, each in a
// child process of its own (store-child.ts), one after the other, each in a fresh temporary folder:
// node:sqlite (the index's embedded store as it ships) and PGlite (WASM PostgreSQL). PGlite's
// package lives in bench/stores/, installed here on first use (npm ci), never by the project's own
// install: it is a candidate, not a dependency.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR = new URL('./stores/', import.meta.url).pathname;
const ROOT = new URL('../', import.meta.url).pathname;
const CANDIDATES = ['node:sqlite', 'pglite'] as const;

function runChild(kind: string, dir: string, disputes: number, seconds: number): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/store-child.ts', kind, dir, String(disputes), String(seconds)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line));
      else reject(new Error(`stores: ${kind} exited ${code}: ${out}`));
    });
  });
}

export async function compareStores(disputes: number): Promise<{ rows: string[]; results: Record<string, any> }> {
  if (!existsSync(join(DIR, 'node_modules/@electric-sql/pglite'))) {
    console.error('bench: installing the store candidates (bench/stores: npm ci) …');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: DIR, stdio: 'inherit' });
  }
  const seconds = Number(process.env.BENCH_STORES_SECONDS ?? 3);
  const results: Record<string, any> = {};
  for (const kind of CANDIDATES) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-store-'));
    try {
      // PGlite creates its own data folder.
      results[kind] = await runChild(kind, kind === 'pglite' ? join(dir, 'pgdata') : dir, disputes, seconds);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const { inboxCount, counted } = results['node:sqlite'].count;
  for (const kind of CANDIDATES)
    if (results[kind].count.inboxCount !== inboxCount || results[kind].count.counted !== counted)
      throw new Error(`stores: the candidates count differently: ${JSON.stringify(results)}`);
  const ratio = (f: (x: Record<string, any>) => number) => f(results.pglite) / f(results['node:sqlite']);
  results.pgliteVsSqlite = {
    upsert: ratio((x) => x.upsert.rowsPerSecond),
    inbox: ratio((x) => x.inbox.perSecond),
    count: ratio((x) => x.count.perSecond),
    rssAfterQueries: ratio((x) => x.rssMiB.afterQueries),
    disk: ratio((x) => x.diskBytes),
  };
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  const r = (kind: string) => results[kind];
  const rows = [
    `| store, ${r('node:sqlite').rows.toLocaleString('en')} rows (body ${r('node:sqlite').meanBodyBytes} B) | open ms | upsert rows/s (pages of 100) | inbox page /s (p50 ms) | count /s (p50 ms) | RSS MiB before open → loaded → after queries (peak) | on disk MiB |`,
    '|---|---|---|---|---|---|---|',
    ...CANDIDATES.map((k) => {
      const x = r(k);
      return `| ${k} | ${x.openMs} | ${x.upsert.rowsPerSecond} (${x.upsert.seconds} s) | ${x.inbox.perSecond.toFixed(0)} (${x.inbox.p50Ms}) | ${x.count.perSecond.toFixed(1)} (${x.count.p50Ms}) | ${x.rssMiB.beforeOpen} → ${x.rssMiB.loaded} → ${x.rssMiB.afterQueries} (${x.rssMiB.peak}) | ${mib(x.diskBytes)} |`;
    }),
    `(inbox: ${inboxCount} open disputes, the 50 earliest due; count: ${counted} WON or LOST; queries run back to back ${seconds} s each; PGlite ÷ node:sqlite: upsert ${results.pgliteVsSqlite.upsert.toFixed(2)}, inbox ${results.pgliteVsSqlite.inbox.toFixed(2)}, count ${results.pgliteVsSqlite.count.toFixed(2)}, RSS ${results.pgliteVsSqlite.rssAfterQueries.toFixed(2)}, disk ${results.pgliteVsSqlite.disk.toFixed(2)})`,
  ];
  return { rows, results };
}
