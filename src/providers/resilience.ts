// Per-provider protection in the request pipeline: a circuit breaker that fails fast while a
// provider is down and probes it again later, and a client-side rate limit that queues briefly
// rather than earning 429s.
import type { ProviderName } from '../domain/dispute.js';
import { ProviderError } from '../domain/errors.js';
import { TokenBucket } from '../token-bucket.js';

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface ProviderHealth {
  state: BreakerState;
  consecutiveFailures: number;
  /** When the breaker last opened. */
  openedAt: Date | null;
}

export interface BreakerOptions {
  /** Consecutive failed attempts (unreachable, timeout, 5xx) that open the breaker. */
  threshold: number;
  /** How long it stays open before letting one probe through. */
  cooldownMs: number;
}

/** What the request pipeline needs of a circuit breaker (in memory by default; see ResilienceFactory). */
export interface Breaker {
  /** Throws PROVIDER_UNAVAILABLE while open; in half-open lets one attempt through. */
  admit(displayName: string): void;
  failure(): void;
  answered(): void;
  /** An admitted attempt ended before it reached the provider (refused by the rate limit, or its request could not be built): a half-open probe's turn is free again. */
  release(): void;
  health(): ProviderHealth;
}

/** What the request pipeline needs of a client-side rate limit. */
export interface Limiter {
  acquire(displayName: string, caller: string): Promise<void>;
}

/**
 * Where each provider account's breaker and rate limit come from: injected through the gateway's
 * options (so replicas can later share them), in process memory by default.
 */
export interface ResilienceFactory {
  breaker(provider: ProviderName, account: string, opts: BreakerOptions): Breaker;
  limiter(provider: ProviderName, account: string, opts: RateLimitOptions): Limiter;
}

export const inMemoryResilience: ResilienceFactory = {
  breaker: (provider, _account, opts) => new CircuitBreaker(provider, opts),
  limiter: (provider, _account, opts) => new RateLimiter(provider, opts),
};

export class CircuitBreaker implements Breaker {
  private state: BreakerState = 'CLOSED';
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;

  constructor(
    private readonly provider: ProviderName,
    private readonly opts: BreakerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws PROVIDER_UNAVAILABLE while open; in half-open lets exactly one attempt through. */
  admit(displayName: string): void {
    if (this.state === 'OPEN' && this.now() - this.openedAt! >= this.opts.cooldownMs) {
      this.state = 'HALF_OPEN';
      this.probing = false;
    }
    if (this.state === 'CLOSED') return;
    if (this.state === 'HALF_OPEN' && !this.probing) {
      this.probing = true;
      return;
    }
    throw new ProviderError({
      code: 'PROVIDER_UNAVAILABLE',
      provider: this.provider,
      message: `${displayName} is failing; the gateway stopped calling it for ${Math.round(this.opts.cooldownMs / 1000)} s and will try again`,
      providerCode: 'circuit_open',
    });
  }

  success(): void {
    this.state = 'CLOSED';
    this.failures = 0;
    this.probing = false;
  }

  failure(): void {
    this.failures += 1;
    if (this.state === 'HALF_OPEN' || this.failures >= this.opts.threshold) {
      this.state = 'OPEN';
      this.openedAt = this.now();
      this.probing = false;
    }
  }

  release(): void {
    if (this.state === 'HALF_OPEN') this.probing = false;
  }

  /** A provider that answered, even with an error of ours (4xx), is up. */
  answered(): void {
    if (this.state !== 'OPEN') this.success();
  }

  health(): ProviderHealth {
    if (this.state === 'OPEN' && this.now() - this.openedAt! >= this.opts.cooldownMs) this.state = 'HALF_OPEN';
    return { state: this.state, consecutiveFailures: this.failures, openedAt: this.openedAt === null ? null : new Date(this.openedAt) };
  }
}

export interface RateLimitOptions {
  /** Requests per second (and the burst allowed). */
  perSecond: number;
  /** The longest a request waits for its turn before failing with RATE_LIMITED. */
  maxQueueMs: number;
}

interface Waiter {
  resolve: () => void;
}

/**
 * A provider's client-side rate limit, shared fairly between callers. Tokens refill at
 * `perSecond`; when none is free, requests wait in one queue per caller (API key), and freed
 * tokens go round-robin across the callers waiting. So one key flooding a provider queues behind
 * itself: another key's request waits for about one token per caller waiting, never for the
 * flood. A request whose fair wait would pass `maxQueueMs` fails at once with RATE_LIMITED.
 */
export class RateLimiter implements Limiter {
  private readonly bucket: TokenBucket;
  /** Insertion order is the round-robin order: a served caller with more waiting goes to the back. */
  private readonly queues = new Map<string, Waiter[]>();
  private waiting = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly provider: ProviderName,
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.bucket = new TokenBucket(opts.perSecond, opts.perSecond, now);
  }

  /** Requests queued now, over all callers (for tests and health). */
  get queued(): number {
    return this.waiting;
  }

  async acquire(displayName: string, caller: string): Promise<void> {
    if (this.waiting === 0 && this.bucket.take() === 0) return;
    const mine = this.queues.get(caller)?.length ?? 0;
    const callers = this.queues.size + (this.queues.has(caller) ? 0 : 1);
    // Round-robin: this request is served after `mine` earlier ones of its caller, each turn
    // shared with every caller waiting, one token apart.
    const waitMs = Math.ceil(((mine + 1) * callers * 1000) / this.opts.perSecond);
    if (waitMs > this.opts.maxQueueMs) {
      throw new ProviderError({
        code: 'RATE_LIMITED',
        provider: this.provider,
        message: `${displayName}'s request rate (${this.opts.perSecond}/s) is used up for now; try again shortly`,
        providerCode: 'client_rate_limit',
        retryAfterMs: waitMs,
      });
    }
    await new Promise<void>((resolve) => {
      const queue = this.queues.get(caller);
      if (queue) queue.push({ resolve });
      else this.queues.set(caller, [{ resolve }]);
      this.waiting += 1;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer || this.waiting === 0) return;
    const wait = this.bucket.peek();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.release();
    }, wait);
  }

  private release(): void {
    while (this.waiting > 0 && this.bucket.take() === 0) {
      const [caller, queue] = this.queues.entries().next().value as [string, Waiter[]];
      const waiter = queue.shift()!;
      this.waiting -= 1;
      this.queues.delete(caller);
      if (queue.length > 0) this.queues.set(caller, queue);
      waiter.resolve();
    }
    this.schedule();
  }
}
