// Shared state on Redis (REDIS_URL), for several replicas: every store the gateway injects through
// `startGateway({ state })` that must be shared — idempotency records (claimed with SET NX PX, taken
// over by a small compare-and-set script), per-key rate limits and upload budgets
// (rate-limiter-flexible), the event history (a capped Redis stream), webhook dedupe and the hub's
// memory (SET NX PX, keys with a TTL), and the fan-out of events to every replica's subscribers
// (@graphql-yoga/redis-event-target over Redis pub/sub). Circuit breakers and client-side provider
// rate limits stay per replica (README, Running several replicas).
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
import type { KeyRateLimiter } from '../auth/guard.js';
import type { EventBus, EventDedupe, Known } from '../events/hub.js';
import type { EventLog, EventRetention } from '../events/log.js';
import type { DisputeEvent } from '../events/types.js';
import { IDEMPOTENCY_TTL_MS, type IdempotencyRecord, type IdempotencyStore } from '../gateway/idempotency.js';
import type { UploadBudget } from '../gateway/upload-budget.js';
import type { Logger } from '../logger.js';
import { decode, encode } from './serialize.js';

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
  return Number(ms) * 1000 + Math.min(Number(n), 999);
};
const idOf = (seq: number) => `${Math.floor(seq / 1000)}-${seq % 1000}`;

class RedisEventLog implements EventLog {
  private readonly stream: string;
  constructor(
    private readonly c: Client,
    private readonly prefix: string,
    private readonly retention: EventRetention,
  ) {
    this.stream = `${prefix}events`;
  }
  private entry = ([id, fields]: [string, string[]]): DisputeEvent => ({ ...decode<Omit<DisputeEvent, 'seq'>>(fields[1]!), seq: seqOf(id) });
  async append(event: Omit<DisputeEvent, 'seq'>): Promise<DisputeEvent> {
    const minId = `${Date.now() - this.retention.maxAgeMs}-0`;
    const id = (await run(this.c, () => this.c.xadd(this.stream, 'MAXLEN', '~', String(this.retention.maxEvents), '*', 'e', encode(event))))!;
    await run(this.c, () =>
      this.c
        .multi()
        .set(`${this.prefix}evid:${event.provider}:${event.account}:${event.providerEventId}`, id, 'PX', this.retention.maxAgeMs)
        .xtrim(this.stream, 'MINID', '~', minId)
        .exec(),
    );
    return { ...event, seq: seqOf(id) };
  }
  async since(afterSeq: number, limit: number): Promise<DisputeEvent[]> {
    const start = afterSeq <= 0 ? '-' : `(${idOf(afterSeq)}`;
    const rows = await run(this.c, () => this.c.xrange(this.stream, start, '+', 'COUNT', limit));
    return this.fresh(rows.map(this.entry));
  }
  async newest(beforeSeq: number, limit: number, keep: (e: DisputeEvent) => boolean) {
    const out: DisputeEvent[] = [];
    let end = Number.isFinite(beforeSeq) ? `(${idOf(beforeSeq)}` : '+';
    // Bounded: at most 40 reads of 500 (the whole history at its default size, twice).
    for (let page = 0; page < 40; page++) {
      const rows = await run(this.c, () => this.c.xrevrange(this.stream, end, '-', 'COUNT', 500));
      for (const e of this.fresh(rows.map(this.entry))) {
        if (!keep(e)) continue;
        if (out.length === limit) return { events: out, more: true };
        out.push(e);
      }
      if (rows.length < 500) break;
      end = `(${rows[rows.length - 1]![0]}`;
    }
    return { events: out, more: false };
  }
  async find(provider: string, account: string, providerEventId: string) {
    const id = await run(this.c, () => this.c.get(`${this.prefix}evid:${provider}:${account}:${providerEventId}`));
    if (!id) return null;
    const rows = await run(this.c, () => this.c.xrange(this.stream, id, id));
    return this.fresh(rows.map(this.entry))[0] ?? null;
  }
  /** Entries past the retention's age are not served even before the stream is trimmed. */
  private fresh(events: DisputeEvent[]) {
    const oldest = Date.now() - this.retention.maxAgeMs;
    return events.filter((e) => e.receivedAt.getTime() >= oldest);
  }
}

function redisDedupe(c: Client, prefix: string): EventDedupe {
  return {
    async claim(key, ttlMs) {
      return (await run(c, () => c.set(`${prefix}seen:${key}`, '1', 'PX', ttlMs, 'NX'))) === 'OK';
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
  for (const [name, c] of [['commands', client], ['subscriber', subscriber]] as const) {
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
