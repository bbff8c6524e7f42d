// A real redis-server for a test or a load run: Debian's binary on a free loopback port, nothing persisted,
// stopped (by its pid) when the test ends. Restartable on the same port, and pausable, for outage tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

const BINARY = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stalls the server (SIGSTOP): connections stay open and nothing answers, as a Redis that hangs. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => c.write('PING\r\n'));
    c.on('data', (d) => {
      resolve(d.toString().startsWith('+PONG'));
      c.destroy();
    });
    c.on('error', () => resolve(false));
  });

export async function startRedis(): Promise<RedisServer> {
  if (!existsSync(BINARY)) throw new Error(`redis-server not found at ${BINARY}: install Debian's redis-server (see .ci/run) or set REDIS_SERVER_PATH`);
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      proc = spawn(BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' });
      for (let i = 0; i < 100 && !(await answers(port)); i++) await new Promise((r) => setTimeout(r, 50));
      if (!(await answers(port))) throw new Error('redis-server did not start');
    },
    pause() {
      proc?.kill('SIGSTOP');
    },
    resume() {
      proc?.kill('SIGCONT');
    },
    async stop() {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null) return;
      p.kill('SIGCONT');
      p.kill('SIGKILL');
      await once(p, 'exit');
    },
  };
  await server.start();
  return server;
}
