// `npm run load` stays runnable: a small run of the same script, checked for its verdict.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

describe('npm run load', () => {
  it('runs a small bounded load with faults and reports OK', async () => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'scripts/load.ts'], {
      cwd: new URL('../../', import.meta.url).pathname,
      env: { ...process.env, LOAD_REQUESTS: '250', LOAD_CONCURRENCY: '8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const [code] = await once(child, 'exit');
    expect(out).toContain('load: OK');
    expect(code).toBe(0);
    const figures = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1));
    expect(figures.requests).toBe(250);
    expect(figures.crashes).toBe(0);
    expect(figures.closes.doubled).toBe(0);
  }, 120_000);
});
