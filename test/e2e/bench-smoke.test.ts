// `npm run bench` stays runnable: the same script with a tiny duration. Its numbers mean nothing
// here (the benchmark is not part of npm test); that it runs, checks and reports does.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('npm run bench', () => {
  it('runs every scenario for every variant with a tiny duration and writes its results', async () => {
    const out = join(tmpdir(), `bench-smoke-${process.pid}.json`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts'], {
      cwd: new URL('../../', import.meta.url).pathname,
      // The index scenarios over 400 disputes (100 a provider) instead of 100,000, their RSS read at once.
      env: {
        ...process.env,
        BENCH_DURATION: '0.3',
        BENCH_WARMUP: '0.1',
        BENCH_ROUNDS: '1',
        BENCH_CONNECTIONS: '1',
        BENCH_INDEX_DISPUTES: '400',
        BENCH_INDEX_SETTLE_S: '1',
        BENCH_OUT: out,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
    const [code] = await once(child, 'exit');
    expect(code, text).toBe(0);
    expect(text).toContain('| scenario | conns | variant |');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(report.results).sort()).toEqual(['inbox', 'merged', 'one', 'page', 'repeated', 'stats']);
    for (const name of ['one', 'page', 'merged', 'repeated']) {
      const r = report.results[name]['1'];
      for (const v of ['direct', 'proxy', 'gateway']) expect(r[v].rps).toBeGreaterThan(0);
      expect(r.ratios.throughputVsProxy).toBeGreaterThan(0);
    }
    // The minimum upstream calls: one per dispute read or list page, four for the merged page.
    expect(report.results.one['1'].gateway.upstreamPerOp).toBe(1);
    expect(report.results.page['1'].gateway.upstreamPerOp).toBe(1);
    expect(report.results.merged['1'].gateway.upstreamPerOp).toBe(4);
    // The index scenarios: answered from the index with no provider call, against the live one-by-id read.
    for (const name of ['inbox', 'stats']) {
      const r = report.results[name]['1'];
      expect(r.gateway.rps).toBeGreaterThan(0);
      expect(r.gateway.upstreamPerOp).toBe(0);
      expect(r.ratios.throughputVsOne).toBeGreaterThan(0);
    }
    expect(report.results.inbox['1'].live.rps).toBeGreaterThan(0);
    // At least what was asked: a fake may hold a few disputes beyond its seeded count.
    expect(report.index.disputes).toBeGreaterThanOrEqual(400);
    expect(report.index.backfill.perSecond).toBeGreaterThan(0);
    expect(report.index.rssMiB.indexed.atRest).toBeGreaterThan(0);
    expect(report.errors).toBe(0);
  }, 120_000);
});
