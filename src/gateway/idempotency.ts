// Where closeDispute remembers what it did for an idempotency key. An interface, so several
// gateway replicas can later share one store; the default lives in process memory.

export interface IdempotencyRecord<T> {
  /** What the key was first used for; the same key with another input is refused. */
  fingerprint: string;
  /** Absent while the operation was attempted but its outcome is unknown (its answer was lost). */
  result?: T;
  /** What the operation noted when it claimed the key, for its recovery (e.g. the submission count before). */
  note?: number | string;
  /** Who is carrying the operation out now (a random token per attempt), while its lease lasts. */
  owner?: string;
  /** Until when (epoch ms) the owner may be at work; past it, another may take the key over. */
  leaseUntil?: number;
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
  /**
   * Replaces the record if it is still unanswered and held by `owner` (null: by nobody), atomically.
   * True when replaced. How a key whose holder died (its lease over) or gave up is taken over.
   */
  replace(key: string, owner: string | null, record: IdempotencyRecord<T>): Promise<boolean>;
  /** False while the store cannot be reached (a shared store): keyed operations are then refused. */
  available?(): boolean;
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

  async replace(key: string, owner: string | null, record: IdempotencyRecord<T>): Promise<boolean> {
    const current = this.peek(key);
    if (!current || current.result !== undefined || (current.owner ?? null) !== owner) return false;
    this.write(key, record);
    return true;
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
