// The process writer (logger.ts) gathers lines and writes them together: many access lines cost one
// write, a warning goes out at once behind what waits, and nothing waiting is lost when the process
// exits, however it exits.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Runs `body` in a child with the default logger; counts stdout writes there and reports on stderr. */
function run(body: string) {
  const script = `
    import { createLogger } from './src/logger.ts';
    let writes = 0;
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (...a) => { writes += 1; return write(...a); };
    const log = createLogger({ level: 'info' });
    // After the logger's own exit hook, which writes what waits.
    process.on('exit', () => process.stderr.write('writes=' + writes));
    ${body}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  const lines = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg: string; level: string });
  return { lines, writes: Number(/writes=(\d+)/.exec(r.stderr)?.[1]), status: r.status, stderr: r.stderr };
}

describe('the process log writer', () => {
  it('writes a burst of lines in one write, in order, and a warning at once behind them', () => {
    const r = run(`
      for (let i = 0; i < 500; i++) log.info('access ' + i);
      log.warn('slow provider');
      setTimeout(() => { for (let i = 500; i < 1000; i++) log.info('access ' + i); }, 10);`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.lines.map((l) => l.msg)).toEqual([
      ...Array.from({ length: 500 }, (_, i) => `access ${i}`),
      'slow provider',
      ...Array.from({ length: 500 }, (_, i) => `access ${i + 500}`),
    ]);
    // One write with the first burst and the warning, one for the second burst.
    expect(r.writes).toBe(2);
  });

  it('loses nothing waiting when the process exits at once', () => {
    const r = run(`for (let i = 0; i < 100; i++) log.info('line ' + i); process.exit(3);`);
    expect(r.status).toBe(3);
    expect(r.lines).toHaveLength(100);
    expect(r.lines.at(-1)!.msg).toBe('line 99');
  });
});
