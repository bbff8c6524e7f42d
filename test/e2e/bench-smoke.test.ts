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
      env: { ...process.env, BENCH_DURATION: '0.3', BENCH_WARMUP: '0.1', BENCH_ROUNDS: '1', BENCH_CONNECTIONS: '1', BENCH_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
    const [code] = await once(child, 'exit');
    expect(code, text).toBe(0);
    expect(text).toContain('| scenario | conns | variant |');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(report.results).sort()).toEqual(['merged', 'one', 'page', 'repeated']);
    for (const scenario of Object.values(report.results) as Record<string, any>[]) {
      const r = scenario['1'];
      for (const v of ['direct', 'proxy', 'gateway']) expect(r[v].rps).toBeGreaterThan(0);
      expect(r.ratios.throughputVsProxy).toBeGreaterThan(0);
    }
    // The minimum upstream calls: one per dispute read or list page, four for the merged page.
    expect(report.results.one['1'].gateway.upstreamPerOp).toBe(1);
    expect(report.results.page['1'].gateway.upstreamPerOp).toBe(1);
    expect(report.results.merged['1'].gateway.upstreamPerOp).toBe(4);
    expect(report.errors).toBe(0);
  }, 120_000);
});
