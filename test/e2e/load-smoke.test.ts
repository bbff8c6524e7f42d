// `npm run load` stays runnable: a small run of the same script, checked for its verdict.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

describe('npm run load', () => {
  it.each([
    ['one gateway, state in memory', [], 1, 'memory'],
    ['three replicas sharing a real redis-server', ['--replicas', '3', '--redis'], 3, 'redis'],
  ] as const)(
    'runs a small bounded load with faults and reports OK: %s',
    async (_name, args, replicas, sharedState) => {
      const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'scripts/load.ts', ...args], {
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
      expect(figures.replicas).toBe(replicas);
      expect(figures.sharedState).toBe(sharedState);
      expect(figures.crashes).toBe(0);
      expect(figures.closes.doubled).toBe(0);
    },
    120_000,
  );
});
