// Reads the embedded index answers again and again (a dashboard polling its counts, an inbox
// reloaded) are kept until the index changes: every write goes through this process, and each one
// that changes a row empties the cache, so the answers stay exact. (PostgreSQL is not wrapped:
// other replicas write to it unseen.) The same question asked while it is being answered shares
// that answer. Bounded in entries.
import type { IndexStore } from './store.js';

export interface ReadCacheOptions {
  /** Entries kept per kind of read; the least recently used go first. */
  maxPages: number;
  maxCounts: number;
}

interface Entry<T> {
  version: number;
  value: Promise<T>;
}

class Lru<T> {
  private readonly entries = new Map<string, Entry<T>>();
  constructor(private readonly max: number) {}
  get(key: string): Entry<T> | undefined {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }
  set(key: string, e: Entry<T>): void {
    this.entries.delete(key);
    this.entries.set(key, e);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
  clear(): void {
    this.entries.clear();
  }
}

/** The largest page kept: a GraphQL page's (the sync's own reads of 500 go to the store, never into memory). */
const MAX_CACHED_PAGE = 100;

/** The store with its page, count and aggregate reads cached until the next write. */
export class ReadCachedStore implements IndexStore {
  readonly kind: IndexStore['kind'];
  private version = 0;
  private readonly pages: Lru<Awaited<ReturnType<IndexStore['page']>>>;
  private readonly totals: Lru<number>;
  private readonly aggregates: Lru<Awaited<ReturnType<IndexStore['stats']>>>;

  constructor(
    private readonly store: IndexStore,
    opts: ReadCacheOptions,
  ) {
    this.kind = store.kind;
    this.pages = new Lru(opts.maxPages);
    this.totals = new Lru(opts.maxCounts);
    this.aggregates = new Lru(opts.maxCounts);
  }

  private cached<T>(lru: Lru<T>, key: string, read: () => Promise<T>): Promise<T> {
    const hit = lru.get(key);
    if (hit && hit.version === this.version) return hit.value;
    const value = read();
    const entry = { version: this.version, value };
    lru.set(key, entry);
    // A failed read is not kept: the next asks the store again.
    value.catch(() => {
      if (lru.get(key) === entry) lru.delete(key);
    });
    return value;
  }

  async apply(...args: Parameters<IndexStore['apply']>): Promise<number> {
    const n = await this.store.apply(...args);
    // A checkpoint saved with the rows changes no read this caches; rows do.
    if (n > 0) {
      this.version += 1;
      this.pages.clear();
      this.totals.clear();
      this.aggregates.clear();
    }
    return n;
  }

  page(q: Parameters<IndexStore['page']>[0]) {
    if (q.limit > MAX_CACHED_PAGE) return this.store.page(q);
    return this.cached(this.pages, JSON.stringify(q), () => this.store.page(q));
  }
  count(f: Parameters<IndexStore['count']>[0]) {
    return this.cached(this.totals, JSON.stringify(f), () => this.store.count(f));
  }
  stats(...args: Parameters<IndexStore['stats']>) {
    return this.cached(this.aggregates, JSON.stringify(args), () => this.store.stats(...args));
  }

  remindersDue(...args: Parameters<IndexStore['remindersDue']>) {
    return this.store.remindersDue(...args);
  }
  claimReminder(...args: Parameters<IndexStore['claimReminder']>) {
    return this.store.claimReminder(...args);
  }
  syncedAt(...args: Parameters<IndexStore['syncedAt']>) {
    return this.store.syncedAt(...args);
  }
  counts(): ReturnType<IndexStore['counts']> {
    return this.store.counts();
  }
  sync(...args: Parameters<IndexStore['sync']>) {
    return this.store.sync(...args);
  }
  saveSync(...args: Parameters<IndexStore['saveSync']>) {
    return this.store.saveSync(...args);
  }
  lease(...args: Parameters<IndexStore['lease']>) {
    return this.store.lease(...args);
  }
  releaseLease(...args: Parameters<IndexStore['releaseLease']>) {
    return this.store.releaseLease(...args);
  }
  ping() {
    return this.store.ping();
  }
  close() {
    return this.store.close();
  }
}
