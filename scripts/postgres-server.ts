// A real PostgreSQL for a test or a bench run: Debian's binaries (package postgresql), a fresh
// cluster in a temporary folder, on a free loopback port, trust auth for the local test user,
// stopped (by its pid) and removed at the end. initdb refuses to run as root: as root the server
// runs as the `postgres` user the package creates (spawned with its uid), as any other user as itself.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  url: string;
  port: number;
  /** Stops the server (fast shutdown); `start()` brings it back on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

function binaries(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error("PostgreSQL's binaries are not installed: apt-get install -y postgresql (Debian's package; see .ci/run)");
  return join(root, newest, 'bin');
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** The uid and gid to run as: the postgres user's when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root, PostgreSQL needs the postgres user (Debian package postgresql creates it)');
  return { uid, gid };
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binaries();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'dg-postgres-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'gateway', '--auth=trust', '-E', 'UTF8', '--no-sync'], { ...user, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const ready = async () => spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'gateway'], { encoding: 'utf8' }).status === 0;
  const server: PostgresServer = {
    port,
    url: `postgres://gateway@127.0.0.1:${port}/postgres`,
    async start() {
      proc = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'max_connections=200'], {
        ...user,
        stdio: 'ignore',
      });
      for (let i = 0; i < 200 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 50));
      if (!(await ready())) throw new Error('postgres did not start');
    },
    async stop() {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null) return;
      p.kill('SIGINT');
      await once(p, 'exit');
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

let databases = 0;

/** A new, empty database on the server: its URL (one per test, so tests never see each other's rows). */
export async function freshDatabase(server: PostgresServer): Promise<string> {
  const { default: pg } = await import('pg');
  const name = `t${process.pid}_${++databases}`;
  const c = new pg.Client(server.url);
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return server.url.replace(/\/postgres$/, `/${name}`);
}
