// One subscriber's stream of events: those after a cursor from the history first (when given), then
// live ones, each once, in order, kept by a filter. Ends when `valid()` says the key may no longer
// read (checked at every read and on a timer), when the hub closes, or when the subscriber falls
// `maxBuffer` events behind; ending lets go of everything at once (the bus, the buffers, the timer).
import { GraphQLError } from 'graphql';
import type { DisputeEvent } from '../domain/event.js';
import type { EventLog, EventScope } from './log.js';

export class SubscriberTooSlow extends GraphQLError {
  constructor(max: number) {
    super(`This subscriber left more than ${max} events unread and was ended; reconnect with after: <the last cursor> to catch up.`, {
      extensions: { code: 'SUBSCRIBER_TOO_SLOW' },
    });
  }
}

export interface SubscriptionOptions {
  /** Replay the history after this position first. */
  afterSeq?: number;
  /** What the replay may read (the subscriber's accounts, or its dispute), as the key allows now. */
  scope: () => EventScope;
  /** A reason to end (a revoked or narrowed key), or null while it may go on. */
  valid?: () => GraphQLError | null;
  checkEveryMs?: number;
  maxBuffer: number;
}

/** What a subscription is given by the hub: the history, live events, and a way to let go of its slot. */
export interface SubscriptionSource {
  log: EventLog;
  listen(listener: (e: DisputeEvent) => void): () => void;
  /** Called once, when the subscription ends for any reason. */
  released(subscription: HubSubscription): void;
}

export class HubSubscription implements AsyncIterableIterator<DisputeEvent> {
  private readonly buffer: DisputeEvent[] = [];
  private readonly replayed: DisputeEvent[] = [];
  /**
   * What this subscriber was given, by position: a live event already replayed is not given twice.
   * Positions, not order: with replicas, two events appended in one order may reach this process
   * over pub/sub in the other, and both must still be delivered.
   */
  private readonly given = new Set<number>();
  private failure: GraphQLError | null = null;
  private finished = false;
  private wake: (() => void) | null = null;
  private replay: number | null;
  private readonly off: () => void;
  private readonly timer: NodeJS.Timeout | undefined;
  private released = false;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly keep: (e: DisputeEvent) => boolean,
    private readonly opts: SubscriptionOptions,
  ) {
    this.replay = opts.afterSeq ?? null;
    this.off = source.listen((e) => this.take(e));
    this.timer = opts.valid ? setInterval(() => this.check(), opts.checkEveryMs ?? 1_000) : undefined;
    this.timer?.unref();
  }

  /** A live event: buffered if kept, or the end when the subscriber is too far behind. */
  private take(e: DisputeEvent): void {
    if (this.finished || this.failure || !this.keep(e)) return;
    if (this.buffer.length >= this.opts.maxBuffer) return this.fail(new SubscriberTooSlow(this.opts.maxBuffer));
    this.buffer.push(e);
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private check(): void {
    const invalid = this.opts.valid?.() ?? null;
    if (invalid) this.fail(invalid);
  }

  /** Ends with an error: the consumer gets it when it next reads, if it ever does. */
  private fail(error: GraphQLError): void {
    if (this.failure || this.finished) return;
    this.failure = error;
    this.release();
    this.poke();
  }

  private release(): void {
    if (!this.released) {
      this.released = true;
      this.off();
      clearInterval(this.timer);
      this.source.released(this);
    }
    this.buffer.length = 0;
    this.replayed.length = 0;
  }

  /** Ends without an error (the consumer stopped, or the hub closes). */
  stop(): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
    this.poke();
  }

  /** Reads the next page of the history after the cursor (kept by the filter); the replay is over once a page is empty. */
  private async replayPage(): Promise<void> {
    let page: DisputeEvent[];
    try {
      page = await this.source.log.since(this.replay!, 500, this.opts.scope());
    } catch {
      this.fail(
        new GraphQLError('The event history could not be read now; subscribe again with after: <the last cursor>.', {
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        }),
      );
      return;
    }
    if (page.length === 0) this.replay = null;
    else {
      this.replay = page[page.length - 1]!.seq;
      this.replayed.push(...page.filter(this.keep));
    }
  }

  /** Whether an event is this subscriber's to be given now (not before its cursor, not given already). */
  private fresh(e: DisputeEvent): boolean {
    if (this.given.has(e.seq) || e.seq <= (this.opts.afterSeq ?? -1)) return false;
    this.given.add(e.seq);
    if (this.given.size > 4 * this.opts.maxBuffer) this.given.delete(this.given.values().next().value!);
    return true;
  }

  async next(): Promise<IteratorResult<DisputeEvent>> {
    for (;;) {
      this.check();
      if (this.failure) {
        const f = this.failure;
        this.stop();
        throw f;
      }
      if (this.finished) return { value: undefined, done: true };
      if (this.replay !== null && this.replayed.length === 0) {
        await this.replayPage();
        continue;
      }
      // Replayed events go first; live ones buffered meanwhile follow (those replayed already skipped).
      const e = this.replayed.shift() ?? this.buffer.shift();
      if (e) {
        if (this.fresh(e)) return { value: e, done: false };
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  async return(): Promise<IteratorResult<DisputeEvent>> {
    this.stop();
    return { value: undefined, done: true };
  }

  async throw(err: unknown): Promise<IteratorResult<DisputeEvent>> {
    this.stop();
    throw err;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
