// Where closeDispute remembers what it did for an idempotency key. An interface, so several
// gateway replicas can later share one store; the default lives in process memory.

export interface IdempotencyRecord<T> {
  /** What the key was first used for; the same key with another input is refused. */
  fingerprint: string;
  /** Absent while the operation was attempted but its outcome is unknown (its answer was lost). */
  result?: T;
  /** What the operation noted when it claimed the key, for its recovery (e.g. the submission count before). */
  note?: number | string;
}

export interface IdempotencyStore<T> {
  get(key: string): Promise<IdempotencyRecord<T> | undefined>;
  set(key: string, record: IdempotencyRecord<T>): Promise<void>;
  /**
   * Claims the key for `record` if no record holds it (atomically: of two concurrent claims, in
   * one process or across replicas sharing the store, exactly one wins) and keeps it for the TTL.
   * True when this call claimed it.
   */
  reserve(key: string, record: IdempotencyRecord<T>): Promise<boolean>;
}

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export class InMemoryIdempotencyStore<T> implements IdempotencyStore<T> {
  private readonly entries = new Map<string, { record: IdempotencyRecord<T>; expiresAt: number }>();

  constructor(
    private readonly ttlMs = IDEMPOTENCY_TTL_MS,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string) {
    return this.peek(key);
  }

  async reserve(key: string, record: IdempotencyRecord<T>): Promise<boolean> {
    // The check and the write run without a pause between them: nothing else can claim in between.
    if (this.peek(key) !== undefined) return false;
    this.write(key, record);
    return true;
  }

  async set(key: string, record: IdempotencyRecord<T>) {
    this.write(key, record);
  }

  private peek(key: string): IdempotencyRecord<T> | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.record;
  }

  private write(key: string, record: IdempotencyRecord<T>) {
    this.entries.delete(key);
    // Map iteration is insertion order: the first entry is the oldest.
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { record, expiresAt: this.now() + this.ttlMs });
  }
}
