// Connection cursors. Opaque to clients: base64url JSON holding, for the edge they stand for,
// each provider's position around it (see merge.ts), the provider of the edge's own dispute, and
// a fingerprint of the filter (and provider accounts) they were issued under, so a cursor cannot
// be replayed against another filter. Each cursor is signed (HMAC-SHA256 with a server-side
// secret): a cursor the gateway did not issue is refused before any of it is used. Several
// secrets can be configured while one is rotated out: the first signs, every one verifies.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DisputeStatus, ProviderName } from '../domain/dispute.js';
import { BadUserInput } from '../domain/errors.js';
import type { CreatedRange } from '../providers/types.js';
import { END, type ProviderState } from './merge.js';

export interface NormalizedFilter {
  providers: { provider: ProviderName; account: string }[];
  statuses?: DisputeStatus[];
  currency?: string;
  charge?: string;
  paymentIntent?: string;
  created?: CreatedRange;
}

export interface Cursor {
  fingerprint: string;
  /** The account stream (accountKey, `STRIPE:eu`) of the edge's own dispute. */
  stream: string;
  /** Positions around the edge, per account stream. */
  states: Record<string, ProviderState>;
}

/**
 * 3: per-account streams, stored by their place in the filter's list (which the fingerprint pins),
 * so a cursor names no provider or account and stays short. 2 (one stream per provider) and
 * unsigned cursors from before are refused with a request to start again.
 */
const VERSION = 3;
const MAX_POSITION = 512;

export function filterFingerprint(f: NormalizedFilter): string {
  const c = f.created;
  const canonical = JSON.stringify([
    f.providers.map((p) => `${p.provider}:${p.account}`),
    f.statuses ?? null,
    f.currency ?? null,
    f.charge ?? null,
    f.paymentIntent ?? null,
    c ? [c.gt, c.gte, c.lt, c.lte].map((d) => d?.toISOString() ?? null) : null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/** The secrets cursors are signed with: the first signs, all verify (rotation). */
export class CursorKeys {
  private readonly keys: Buffer[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('at least one cursor secret is needed');
    this.keys = secrets.map((s) => Buffer.from(s, 'utf8'));
  }

  /** A secret for this process alone: cursors do not survive a restart or cross replicas. */
  static ephemeral(): CursorKeys {
    return new CursorKeys([randomBytes(32).toString('base64url')]);
  }

  sign(payload: string): string {
    return createHmac('sha256', this.keys[0]!).update(payload).digest('base64url').slice(0, SIGNATURE_LENGTH);
  }

  verify(payload: string, signature: string): boolean {
    const given = Buffer.from(signature);
    return this.keys.some((k) => {
      const want = Buffer.from(createHmac('sha256', k).update(payload).digest('base64url').slice(0, SIGNATURE_LENGTH));
      return want.length === given.length && timingSafeEqual(want, given);
    });
  }
}

/** 128 bits of HMAC-SHA256, base64url. */
const SIGNATURE_LENGTH = 22;

export function encodeCursor(c: Cursor, keys: CursorKeys, streams: readonly string[]): string {
  const body = { v: VERSION, f: c.fingerprint, e: streams.indexOf(c.stream), s: streams.map((name) => c.states[name] ?? 0) };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${payload}.${keys.sign(payload)}`;
}

export interface CursorExpectation {
  fingerprint: string;
  /** The filter's account streams, in order (accountKey). */
  streams: readonly string[];
  /** Whether a string is a list position of this stream's provider (a provider id, or its own form). */
  isPosition: (stream: string, position: string) => boolean;
}

export function decodeCursor(raw: string, field: string, expected: CursorExpectation, keys: CursorKeys): Cursor {
  const fail = (why: string): never => {
    throw new BadUserInput(`${field}: ${why}`, field);
  };
  const invalid = () => fail('not a valid cursor');
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 8192) invalid();
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(raw);
  if (!m) return fail('not a cursor this gateway issued (or one from an earlier version); start again without a cursor');
  // Nothing of a cursor is read before its signature is checked.
  if (!keys.verify(m[1]!, m[2]!)) fail('not a cursor this gateway issued (or its secret was rotated out); start again without a cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8'));
  } catch {
    invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid();
  const { v, f, e, s } = parsed as Record<string, unknown>;
  if (v !== VERSION) fail('this cursor is from an earlier version of the gateway; start again without a cursor');
  if (typeof f !== 'string' || !Number.isInteger(e) || !Array.isArray(s)) return invalid();
  if (f !== expected.fingerprint) fail('this cursor was issued for a different filter; start again without a cursor');
  if (s.length !== expected.streams.length) return invalid();
  const states: Record<string, ProviderState> = {};
  s.forEach((value, i) => {
    if (value === 0) return;
    const name = expected.streams[i]!;
    if (!Array.isArray(value) || value.length !== 2) return invalid();
    const [last, next] = value as unknown[];
    const isPosition = (x: unknown) => typeof x === 'string' && x.length > 0 && x.length <= MAX_POSITION && expected.isPosition(name, x);
    if (!(last === null || isPosition(last)) || !(next === null || next === END || isPosition(next))) return invalid();
    states[name] = [last as string | null, next as ProviderState[1]];
  });
  const stream = expected.streams[e as number];
  if (stream === undefined || typeof states[stream]?.[0] !== 'string') return invalid();
  return { fingerprint: f, stream, states };
}
