// Opens the index's store as configured: PostgreSQL with DATABASE_URL, else the embedded store in
// DATA_DIR; the sandbox's in a temporary folder removed at exit (its fakes are seeded anew each start).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore } from './sqlite.js';
import type { IndexStore } from './store.js';

export interface IndexStoreSettings {
  databaseUrl?: string;
  dataDir: string;
}

export async function openIndexStore(settings: IndexStoreSettings, opts: { sandbox: boolean }): Promise<IndexStore> {
  if (settings.databaseUrl) {
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(settings.databaseUrl);
  }
  if (!opts.sandbox) return openEmbeddedStore(settings.dataDir);
  const dir = mkdtempSync(join(tmpdir(), 'dispute-gateway-sandbox-index-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const store = await openEmbeddedStore(dir);
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  };
  return store;
}
