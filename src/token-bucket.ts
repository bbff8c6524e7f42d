// A token bucket: `perSecond` tokens a second, up to `burst`. take() says how long to wait when
// no token is left (0: go).
export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.updated = now();
  }

  /** Takes a token and returns 0, or takes nothing and returns the milliseconds until one is free. */
  take(): number {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }

  /** Takes `n` tokens if there are that many (true), else none (false). */
  spend(n: number): boolean {
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Takes a token even when none is left (the debt is the wait) and returns the wait. */
  reserve(): number {
    this.refill();
    const wait = this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.perSecond) * 1000;
    this.tokens -= 1;
    return Math.ceil(wait);
  }

  /** The wait reserve() would return, without reserving. */
  peek(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }

  private refill() {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updated) / 1000) * this.perSecond);
    this.updated = now;
  }
}
