// The index's two stores, for suites that run over both: the embedded one in a temporary folder,
// and PostgreSQL on a real server this file starts (once per test file) with a fresh database per
// store. Without PostgreSQL's binaries the suite fails naming the package; it does not skip.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openPostgresStore } from '../../src/index/postgres.js';
import { openEmbeddedStore } from '../../src/index/sqlite.js';
import type { IndexStore } from '../../src/index/store.js';
import { freshDatabase, startPostgres, type PostgresServer } from '../../scripts/postgres-server.js';

export interface OpenedStore {
  store: IndexStore;
  /** Where it lives: a DATA_DIR, or a DATABASE_URL. */
  where: { dataDir: string } | { databaseUrl: string };
  /** Closes it (if still open) and removes its data. */
  done(): Promise<void>;
}

export type StoreKind = 'embedded' | 'postgres';
export const STORE_KINDS: StoreKind[] = ['embedded', 'postgres'];

let server: Promise<PostgresServer> | undefined;
afterAll(async () => (await server)?.destroy());

/** This file's PostgreSQL server, started on first use. */
export function postgresServer(): Promise<PostgresServer> {
  return (server ??= startPostgres());
}

/** A fresh, empty store of this kind. */
export async function openStore(kind: StoreKind): Promise<OpenedStore> {
  if (kind === 'postgres') {
    const databaseUrl = await freshDatabase(await postgresServer());
    const store = await openPostgresStore(databaseUrl);
    return { store, where: { databaseUrl }, done: () => store.close() };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'dg-index-'));
  const store = await openEmbeddedStore(dataDir);
  return {
    store,
    where: { dataDir },
    done: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
