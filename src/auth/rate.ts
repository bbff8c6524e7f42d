// Per-key request rates, behind one interface: in process memory by default (a token bucket per
// key), on Redis with several replicas (state/redis.ts).
import { TokenBucket } from '../token-bucket.js';

/** Per-key request rates: the wait (ms) before this key may call again, 0 to go now (and counted). Shared stores answer asynchronously. */
export interface KeyRateLimiter {
  take(keyName: string, limit: { perSecond: number; burst: number }): number | Promise<number>;
}

/** One token bucket per key, in process memory: the default. */
export function inMemoryKeyRateLimiter(): KeyRateLimiter {
  const buckets = new Map<string, TokenBucket>();
  return {
    take(name, limit) {
      let bucket = buckets.get(name);
      if (!bucket) buckets.set(name, (bucket = new TokenBucket(limit.perSecond, limit.burst)));
      return bucket.take();
    },
  };
}
