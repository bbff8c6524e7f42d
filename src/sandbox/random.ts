// Deterministic pseudo-random data for the sandbox seeds: the same seed gives the same data.

export interface Rng {
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  chance(p: number): boolean;
  id(prefix: string, length?: number): string;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** mulberry32: tiny, fast, and good enough for fixtures. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)]!,
    weighted: (items) => {
      const total = items.reduce((s, [, w]) => s + w, 0);
      let r = next() * total;
      for (const [v, w] of items) if ((r -= w) < 0) return v;
      return items[items.length - 1]![0];
    },
    chance: (p) => next() < p,
    id: (prefix, length = 24) => prefix + Array.from({ length }, () => ALPHABET[int(0, ALPHABET.length - 1)]).join(''),
  };
}

export const DAY = 86_400;

/**
 * The sandbox's "now", in epoch seconds: the start (UTC midnight) of the day it starts on. Seeded
 * data is anchored to it, so open disputes have deadlines ahead, and the data is the same for a
 * seed all day long (tests pass a fixed clock).
 */
export function sandboxEpoch(now: number = Date.now()): number {
  return Math.floor(now / 1000 / DAY) * DAY;
}

export interface Timeline {
  created: number;
  /** The response deadline (epoch seconds). */
  dueBy: number;
  /** The deadline has passed while a response is still awaited. */
  pastDue: boolean;
}

/**
 * When a seeded dispute was created and by when it must be answered (`windowDays` after). A
 * dispute awaiting a response is recent: a quarter are due within 48 hours of any moment of the
 * sandbox's day (26 to 47 hours after its midnight), about one in seven is past due, the rest due
 * within the window. Others (answered, closed) were created up to `spanDays` ago. `created` given: a tie with the
 * previous dispute, its deadline following from it.
 */
export function seedTimeline(rng: Rng, epoch: number, opts: { open: boolean; windowDays: number; spanDays: number; created?: number }): Timeline {
  const window = opts.windowDays * DAY;
  let created = opts.created;
  if (created === undefined) {
    if (!opts.open) created = epoch - rng.int(1, opts.spanDays) * DAY - rng.int(0, DAY - 1);
    else {
      const r = rng.next();
      const due = r < 0.15 ? epoch - rng.int(1 * 3600, 5 * DAY) : r < 0.4 ? epoch + rng.int(26 * 3600, 47 * 3600) : epoch + rng.int(2 * DAY, window - 3600);
      created = due - window;
    }
  }
  const dueBy = created + window;
  return { created, dueBy, pastDue: opts.open && dueBy < epoch };
}
