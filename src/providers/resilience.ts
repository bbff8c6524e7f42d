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

export class CircuitBreaker {
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

/** A token bucket whose debt is the queue: a request that must wait reserves its token and sleeps. */
export class RateLimiter {
  private readonly bucket: TokenBucket;

  constructor(
    private readonly provider: ProviderName,
    private readonly opts: RateLimitOptions,
    now: () => number = Date.now,
  ) {
    this.bucket = new TokenBucket(opts.perSecond, opts.perSecond, now);
  }

  async acquire(displayName: string): Promise<void> {
    const waitMs = this.bucket.peek();
    if (waitMs > this.opts.maxQueueMs) {
      throw new ProviderError({
        code: 'RATE_LIMITED',
        provider: this.provider,
        message: `${displayName}'s request rate (${this.opts.perSecond}/s) is used up; try again shortly`,
        providerCode: 'client_rate_limit',
        retryAfterMs: waitMs,
      });
    }
    const wait = this.bucket.reserve();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}
