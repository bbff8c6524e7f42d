// A gateway started as `npm start` starts it: its ready line's URL, or the output so far on failure.
import { spawn, type ChildProcess } from 'node:child_process';

export const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Spawns `src/main.ts` with only PATH, HOME and `env` set (no credentials leak in from the test's).
 * The index is off unless `env` turns it on: the live path's tests run as INDEX=off, and no test
 * writes an index into the repository's ./data.
 */
export function spawnGateway(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', INDEX: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the URL of the ready line, collecting stdout into `sink.out` as it arrives. */
export function readyUrl(child: ChildProcess, sink: { out: string } = { out: '' }, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line: ${sink.out}`)), timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      sink.out += c.toString();
      const ready = sink.out.split('\n').find((l) => l.includes('"Dispute Gateway ready"'));
      if (ready) {
        clearTimeout(timer);
        resolve(JSON.parse(ready).url);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${sink.out}`)));
  });
}
