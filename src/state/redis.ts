// Shared state on Redis (REDIS_URL), for several replicas: every store the gateway injects through
// `startGateway({ state })` that must be shared — idempotency records (claimed with SET NX PX, taken
// over by a small compare-and-set script), per-key rate limits and upload budgets
// (rate-limiter-flexible), the event history (streams per account, indexed per dispute), webhook dedupe and the hub's
// memory (SET NX PX, keys with a TTL), and the fan-out of events to every replica's subscribers
// (@graphql-yoga/redis-event-target over Redis pub/sub). Circuit breakers and client-side provider
// rate limits stay per replica (docs/operating.md, Running several replicas).
//
// Failure: commands time out (REDIS_COMMAND_TIMEOUT_MS) and are not queued while disconnected, so
// nothing waits on a Redis that is gone. Reads do not need Redis (a key's rate falls back to a
// limiter in memory); closes, evidence and uploads are refused with SERVICE_UNAVAILABLE; webhooks
// answer 503 so the provider retries. ioredis reconnects on its own; all of it works again then.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Cache } from '@graphql-yoga/plugin-response-cache';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ServiceUnavailable } from '../domain/errors.js';
import type { KeyRateLimiter } from '../auth/rate.js';
import type { Claim, EventBus, EventDedupe, Known } from '../events/hub.js';
import { disputeAccount, mergeRuns, type EventLog, type EventRetention, type EventScope, type HistoryRun } from '../events/log.js';
import { accountKey, eventKey, refKey } from '../domain/ids.js';
import type { ProviderName } from '../domain/dispute.js';
import type { DisputeEvent } from '../domain/event.js';
import { IDEMPOTENCY_TTL_MS, type IdempotencyRecord, type IdempotencyStore } from '../gateway/idempotency.js';
import type { UploadBudget } from '../gateway/upload-budget.js';
import type { Logger } from '../logger.js';
import { decode, encode } from '../domain/serialize.js';

export interface RedisSettings {
  url: string;
  /** Prefix of every key (REDIS_KEY_PREFIX; default `dg:`), so gateways can share a Redis. */
  prefix?: string;
  /** Per-command timeout (REDIS_COMMAND_TIMEOUT_MS; default 1,000). */
  commandTimeoutMs?: number;
}

type Client = Redis | Cluster;

/**
 * A client from REDIS_URL: `redis://` and `rediss://` as ioredis reads them; `redis+sentinel://h1:26379,h2:26379/<master name>`
 * for Sentinel; `redis+cluster://h1:6379,h2:6379` for Cluster (each with an optional `user:password@`).
 */
export function redisClient(settings: RedisSettings): Client {
  const base: RedisOptions = {
    commandTimeout: settings.commandTimeoutMs ?? 1_000,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(100 * times, 2_000),
    lazyConnect: false,
  };
  const u = new URL(settings.url);
  const hosts = () => u.host.split(',').map((h) => ({ host: h.replace(/:\d+$/, ''), port: Number(/:(\d+)$/.exec(h)?.[1] ?? 6379) }));
  const auth = { ...(u.username && { username: decodeURIComponent(u.username) }), ...(u.password && { password: decodeURIComponent(u.password) }) };
  if (u.protocol === 'redis+sentinel:') {
    const name = u.pathname.replace(/^\//, '');
    return new Redis({ ...base, ...auth, sentinels: hosts(), name });
  }
  if (u.protocol === 'redis+cluster:') return new Cluster(hosts(), { redisOptions: { ...base, ...auth }, enableOfflineQueue: false });
  return new Redis(settings.url, base);
}

const ready = (c: Client) => c.status === 'ready';

/** A command against Redis; any failure (down, timeout) is SERVICE_UNAVAILABLE. */
async function run<T>(c: Client, command: () => Promise<T>): Promise<T> {
  if (!ready(c)) throw new ServiceUnavailable();
  try {
    return await command();
  } catch {
    throw new ServiceUnavailable();
  }
}

// Replaces a record that is unanswered and held by the given owner ('' for none), keeping its TTL.
const REPLACE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
if r.result ~= nil then return 0 end
local owner = r.owner
if owner == nil then owner = '' end
if owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1`;

class RedisIdempotencyStore<T> implements IdempotencyStore<T> {
  constructor(
    private readonly c: Client,
    private readonly prefix: string,
    private readonly ttlMs = IDEMPOTENCY_TTL_MS,
  ) {}
  private k = (key: string) => `${this.prefix}idem:${key}`;
  async get(key: string) {
    const v = await run(this.c, () => this.c.get(this.k(key)));
    return v === null ? undefined : decode<IdempotencyRecord<T>>(v);
  }
  async set(key: string, record: IdempotencyRecord<T>) {
    await run(this.c, () => this.c.set(this.k(key), encode(record), 'PX', this.ttlMs));
  }
  async reserve(key: string, record: IdempotencyRecord<T>) {
    return (await run(this.c, () => this.c.set(this.k(key), encode(record), 'PX', this.ttlMs, 'NX'))) === 'OK';
  }
  async replace(key: string, owner: string | null, record: IdempotencyRecord<T>) {
    return (await run(this.c, () => this.c.eval(REPLACE, 1, this.k(key), owner ?? '', encode(record)))) === 1;
  }
  available() {
    return ready(this.c);
  }
}

/** Per-key rates shared by every replica; while Redis is away, each replica limits in memory. */
function redisKeyRateLimiter(c: Client, prefix: string): KeyRateLimiter {
  const limiters = new Map<string, RateLimiterRedis>();
  const limiter = (limit: { perSecond: number; burst: number }) => {
    const duration = Math.max(1, Math.round(limit.burst / limit.perSecond));
    const points = Math.max(1, Math.round(limit.perSecond * duration));
    const id = `${points}:${duration}`;
    let l = limiters.get(id);
    if (!l) {
      l = new RateLimiterRedis({
        storeClient: c,
        keyPrefix: `${prefix}rate:${id}`,
        points,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points, duration }),
      });
      limiters.set(id, l);
    }
    return l;
  };
  return {
    async take(name, limit) {
      try {
        await limiter(limit).consume(name, 1);
        return 0;
      } catch (res) {
        if (res instanceof RateLimiterRes) return Math.max(1, res.msBeforeNext);
        throw res;
      }
    },
  };
}

function redisUploadBudget(c: Client, prefix: string, bytesPerHour: number): UploadBudget {
  const limiter = new RateLimiterRedis({ storeClient: c, keyPrefix: `${prefix}upload`, points: bytesPerHour, duration: 3600, rejectIfRedisNotReady: true });
  return {
    async spend(caller, bytes) {
      try {
        await limiter.consume(caller, bytes);
        return true;
      } catch (res) {
        if (res instanceof RateLimiterRes) return false;
        throw new ServiceUnavailable();
      }
    },
  };
}

/** Stream ids (`<ms>-<n>`) as the history's numeric positions, and back. */
const seqOf = (id: string) => {
  const [ms, n] = id.split('-');
  return Number(ms) * 1000 + Number(n);
};
const idOf = (seq: number) => `${Math.floor(seq / 1000)}-${seq % 1000}`;

// Appends one event: its position comes from the sequence stream (`seq`, entries naming the
// account and dispute only), its body goes to its account's stream under the same id, and the id
// to its dispute's sorted set (scored by position). The id is chosen here, `<ms>-<n>` with n below
// 1,000 (past that, the next millisecond), so every position (ms × 1000 + n) is distinct even when
// the clock steps back. Then the oldest positions beyond the count or the age are removed from all
// three, at most 100 per append. Keys of trimmed entries are built from ARGV: they share the
// `{ev}` hash tag, so on a Redis Cluster they live on the node that runs the script.
// KEYS: seq stream, account stream, dispute set, event-id key.
// ARGV: body, account key, dispute ref, max events, max age (ms), oldest kept (ms), key base.
const APPEND_EVENT = `
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = 0
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if last then
  local lms, ln = string.match(last[1], '^(%d+)-(%d+)$')
  lms = tonumber(lms)
  if ms <= lms then
    ms = lms
    n = tonumber(ln) + 1
    if n > 999 then
      ms = ms + 1
      n = 0
    end
  end
end
local id = string.format('%d-%d', ms, n)
redis.call('XADD', KEYS[1], id, 'a', ARGV[2], 'd', ARGV[3], 'k', KEYS[4])
redis.call('XADD', KEYS[2], id, 'e', ARGV[1])
redis.call('ZADD', KEYS[3], string.format('%d%03d', ms, n), id)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
redis.call('SET', KEYS[4], id, 'PX', ARGV[5])
local excess = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[4])
local oldest = tonumber(ARGV[6])
for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 100)) do
  local eid = entry[1]
  if excess <= 0 and tonumber(string.match(eid, '^(%d+)')) >= oldest then break end
  local f = {}
  for i = 1, #entry[2], 2 do f[entry[2][i]] = entry[2][i + 1] end
  redis.call('XDEL', ARGV[7] .. 'a:' .. f.a, eid)
  redis.call('ZREM', ARGV[7] .. 'd:' .. f.d, eid)
  if redis.call('GET', f.k) == eid then redis.call('DEL', f.k) end
  redis.call('XDEL', KEYS[1], eid)
  excess = excess - 1
end
return id`;

/**
 * The event history on Redis, indexed so that a read touches only what its caller may see: one
 * stream per account holding the events, a sorted set per dispute holding its events' ids, and a
 * sequence stream that gives every event its position across accounts and keeps the retention
 * (count and age) exact. All under one hash tag (`{ev}`), so a Redis Cluster keeps them on one node.
 */
class RedisEventLog implements EventLog {
  private readonly base: string;
  entriesRead = 0;
  constructor(
    private readonly c: Client,
    prefix: string,
    private readonly retention: EventRetention,
  ) {
    this.base = `${prefix}{ev}:`;
  }
  private accountStream = (account: string) => `${this.base}a:${account}`;
  private disputeSet = (ref: string) => `${this.base}d:${ref}`;
  private eventKey = (provider: string, account: string, providerEventId: string) => `${this.base}id:${eventKey(provider, account, providerEventId)}`;
  private decodeRows(rows: [string, string[]][]): DisputeEvent[] {
    this.entriesRead += rows.length;
    return rows.map(([id, fields]) => ({ ...decode<Omit<DisputeEvent, 'seq'>>(fields[1]!), seq: seqOf(id) }));
  }
  async append(event: Omit<DisputeEvent, 'seq'>): Promise<DisputeEvent> {
    const account = accountKey(event.provider, event.account);
    const ref = refKey({ provider: event.provider, account: event.account, providerDisputeId: event.providerDisputeId });
    const { maxEvents, maxAgeMs } = this.retention;
    const id = (await run(this.c, () =>
      this.c.eval(
        APPEND_EVENT,
        4,
        `${this.base}seq`,
        this.accountStream(account),
        this.disputeSet(ref),
        this.eventKey(event.provider, event.account, event.providerEventId),
        encode(event),
        account,
        ref,
        String(maxEvents),
        String(maxAgeMs),
        String(Date.now() - maxAgeMs),
        this.base,
      ),
    )) as string;
    return { ...event, seq: seqOf(id) };
  }
  /**
   * One account's events from a position on, a page at a time; entries past the retention's age
   * are skipped even before they are trimmed.
   */
  private accountRun(account: string, from: number, order: 'newest' | 'oldest'): HistoryRun {
    const key = this.accountStream(account);
    let edge = order === 'newest' ? (Number.isFinite(from) ? `(${idOf(from)}` : '+') : from <= 0 ? '-' : `(${idOf(from)}`;
    return {
      next: async (count) => {
        const out: DisputeEvent[] = [];
        while (out.length < count) {
          const want = count - out.length;
          const rows = await run(this.c, () =>
            order === 'newest' ? this.c.xrevrange(key, edge, '-', 'COUNT', want) : this.c.xrange(key, edge, '+', 'COUNT', want),
          );
          if (rows.length > 0) edge = `(${rows[rows.length - 1]![0]}`;
          const events = this.decodeRows(rows);
          const fresh = this.fresh(events);
          out.push(...fresh);
          // Newest first, a stale entry means all beyond it are stale too.
          if (rows.length < want || (order === 'newest' && fresh.length < events.length)) break;
        }
        return out;
      },
    };
  }
  /** One dispute's events, by the ids in its set, read from its account's stream. */
  private disputeRun(account: string, ref: string, from: number, order: 'newest' | 'oldest'): HistoryRun {
    const set = this.disputeSet(ref);
    const stream = this.accountStream(account);
    let edge = from;
    return {
      next: async (count) => {
        const out: DisputeEvent[] = [];
        while (out.length < count) {
          const want = count - out.length;
          const bound = Number.isFinite(edge) ? `(${edge}` : order === 'newest' ? '+inf' : '-inf';
          const ids = await run(this.c, () =>
            order === 'newest' ? this.c.zrevrangebyscore(set, bound, '-inf', 'LIMIT', 0, want) : this.c.zrangebyscore(set, bound, '+inf', 'LIMIT', 0, want),
          );
          if (ids.length === 0) break;
          edge = seqOf(ids[ids.length - 1]!);
          const p = this.c.pipeline();
          for (const id of ids) p.xrange(stream, id, id);
          const replies = (await run(this.c, () => p.exec())) ?? [];
          const rows = replies.flatMap(([err, r]) => (err ? [] : (r as [string, string[]][])));
          out.push(...this.fresh(this.decodeRows(rows)));
          if (ids.length < want) break;
        }
        return out;
      },
    };
  }
  private runsOf(scope: EventScope, from: number, order: 'newest' | 'oldest'): HistoryRun[] {
    if (scope.dispute == null) return scope.accounts.map((a) => this.accountRun(a, from, order));
    const account = disputeAccount(scope);
    return account ? [this.disputeRun(account, scope.dispute, from, order)] : [];
  }
  async since(afterSeq: number, limit: number, scope: EventScope): Promise<DisputeEvent[]> {
    return (await mergeRuns(this.runsOf(scope, afterSeq, 'oldest'), limit, 'oldest')).events;
  }
  async newest(beforeSeq: number, limit: number, scope: EventScope, keep?: (e: DisputeEvent) => boolean) {
    return mergeRuns(this.runsOf(scope, beforeSeq, 'newest'), limit, 'newest', keep);
  }
  async find(provider: ProviderName, account: string, providerEventId: string) {
    const id = await run(this.c, () => this.c.get(this.eventKey(provider, account, providerEventId)));
    if (!id) return null;
    const rows = await run(this.c, () => this.c.xrange(this.accountStream(accountKey(provider, account)), id, id));
    return this.fresh(this.decodeRows(rows))[0] ?? null;
  }
  /** Entries past the retention's age are not served even before the stream is trimmed. */
  private fresh(events: DisputeEvent[]) {
    const oldest = Date.now() - this.retention.maxAgeMs;
    return events.filter((e) => e.receivedAt.getTime() >= oldest);
  }
}

// Claims an event id for a lease ('pending'); answers what holds it otherwise. A value of an
// earlier version ('1') is a stored event.
const CLAIM = `
if redis.call('SET', KEYS[1], 'pending', 'NX', 'PX', ARGV[1]) then return 'fresh' end
if redis.call('GET', KEYS[1]) == 'pending' then return 'pending' end
return 'taken'`;

function redisDedupe(c: Client, prefix: string): EventDedupe {
  return {
    async claim(key, leaseMs) {
      return (await run(c, () => c.eval(CLAIM, 1, `${prefix}seen:${key}`, String(leaseMs)))) as Claim;
    },
    async confirm(key, ttlMs) {
      await run(c, () => c.set(`${prefix}seen:${key}`, 'taken', 'PX', ttlMs));
    },
    async release(key) {
      await run(c, () => c.del(`${prefix}seen:${key}`));
    },
    async markOwn(key, ttlMs) {
      await run(c, () => c.set(`${prefix}own:${key}`, '1', 'PX', ttlMs));
    },
    async isOwn(key) {
      return (await run(c, () => c.exists(`${prefix}own:${key}`))) === 1;
    },
    async recall(ref) {
      const v = await run(c, () => c.get(`${prefix}known:${ref}`));
      return v === null ? undefined : decode<Known>(v);
    },
    async remember(ref, known, ttlMs) {
      await run(c, () => c.set(`${prefix}known:${ref}`, encode(known), 'PX', ttlMs));
    },
  };
}

/** Every replica's subscribers get every event, through Redis pub/sub. */
function redisBus(publishClient: Client, subscribeClient: Client, prefix: string): EventBus {
  const target = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient, serializer: { stringify: encode, parse: decode } });
  const topic = `${prefix}dispute-events`;
  return {
    publish(e) {
      if (!ready(publishClient)) throw new ServiceUnavailable();
      target.dispatchEvent(new CustomEvent(topic, { detail: e }));
    },
    subscribe(listener) {
      const handler = (ev: Event) => listener((ev as CustomEvent<DisputeEvent>).detail);
      target.addEventListener(topic, handler);
      return () => target.removeEventListener(topic, handler);
    },
  };
}

/**
 * The response cache's store on Redis (graphql/response-cache.ts), written here rather than taken
 * from @envelop/response-cache-redis, whose entity sets never expire (Redis memory grows with every
 * answer ever cached) and whose typename invalidation runs KEYS. Here: an answer under
 * `<prefix>{rc}:r:<key>` with its TTL; for each entity it holds (`Dispute`, `Dispute:<id>`) a set of
 * the answers holding it, kept as long as its longest-lived answer; invalidating an entity deletes
 * its set's answers and the set. All under one hash tag, so a Redis Cluster keeps them on one node.
 * Redis away: a lookup is a miss and an answer is not kept (reads go on); an invalidation fails
 * loudly to its caller, which logs it.
 */
export function redisResponseCache(c: Client, prefix: string, logger: Logger): Cache {
  const key = (kind: 'r' | 'e', id: string) => `${prefix}{rc}:${kind}:${id}`;
  return {
    async get(id) {
      try {
        const v = await run(c, () => c.get(key('r', id)));
        return v ? (JSON.parse(v) as Awaited<ReturnType<Cache['get']>>) : undefined;
      } catch {
        return undefined;
      }
    },
    async set(id, result, entities, ttl) {
      if (!Number.isFinite(ttl) || ttl <= 0) return;
      const m = c.multi().set(key('r', id), JSON.stringify(result), 'PX', ttl);
      for (const { typename, id: entityId } of entities) {
        for (const e of entityId == null ? [typename] : [typename, `${typename}:${entityId}`]) {
          m.sadd(key('e', e), id).pexpire(key('e', e), ttl, 'NX').pexpire(key('e', e), ttl, 'GT');
        }
      }
      await run(c, () => m.exec()).catch(() => logger.warn('response cache: an answer could not be kept on redis'));
    },
    async invalidate(entities) {
      for (const { typename, id } of entities) {
        const set = key('e', id == null ? typename : `${typename}:${id}`);
        const answers = await run(c, () => c.smembers(set));
        await run(c, () => c.del(set, ...answers.map((a) => key('r', a))));
      }
    },
  };
}

export interface RedisState {
  /** The response cache's shared store. */
  responseCache: Cache;
  state: {
    idempotency: IdempotencyStore<never>;
    keyRateLimiter: KeyRateLimiter;
    uploadBudget: UploadBudget;
    eventLog: EventLog;
    eventDedupe: EventDedupe;
    eventBus: EventBus;
  };
  /** Whether Redis answers now (for /readyz). */
  healthy(): boolean;
  close(): Promise<void>;
}

export function connectRedis(settings: RedisSettings, opts: { logger: Logger; retention: EventRetention; uploadBytesPerHour: number }): RedisState {
  const prefix = settings.prefix ?? 'dg:';
  const client = redisClient(settings);
  // Pub/sub needs a connection of its own.
  const subscriber = redisClient(settings);
  let wasReady = false;
  for (const [name, c] of [
    ['commands', client],
    ['subscriber', subscriber],
  ] as const) {
    c.on('error', () => {}); // reported by the state changes below, once each, without the address
    c.on('ready', () => {
      if (name === 'commands') wasReady = true;
      opts.logger.info('redis connected', { connection: name });
    });
    c.on('end', () => opts.logger.warn('redis connection ended', { connection: name }));
    c.on('reconnecting', () => {
      if (name === 'commands' && wasReady) {
        wasReady = false;
        opts.logger.warn('redis unreachable: closes, evidence and uploads are refused, webhooks answer 503, until it returns', { connection: name });
      }
    });
  }
  return {
    responseCache: redisResponseCache(client, prefix, opts.logger),
    state: {
      idempotency: new RedisIdempotencyStore<never>(client, prefix),
      keyRateLimiter: redisKeyRateLimiter(client, prefix),
      uploadBudget: redisUploadBudget(client, prefix, opts.uploadBytesPerHour),
      eventLog: new RedisEventLog(client, prefix, opts.retention),
      eventDedupe: redisDedupe(client, prefix),
      eventBus: redisBus(client, subscriber, prefix),
    },
    healthy: () => ready(client),
    async close() {
      await Promise.allSettled([client.quit(), subscriber.quit()]);
    },
  };
}
