// Connection cursors. Opaque to clients: base64url JSON naming the provider, account slot, the
// provider's list position (a dispute id on Stripe-style lists) and a fingerprint of the filter
// the cursor was issued under, so a cursor cannot be replayed against another filter.
import { createHash } from 'node:crypto';
import { PROVIDERS, type ProviderName } from '../domain/dispute.js';
import { BadUserInput } from '../domain/errors.js';
import type { ListFilter } from '../providers/types.js';

export interface Cursor {
  provider: ProviderName;
  account: string;
  position: string;
  filter: string;
}

const VERSION = 1;

export function filterFingerprint(provider: ProviderName, filter: ListFilter): string {
  const c = filter.created;
  const canonical = JSON.stringify([
    provider,
    filter.charge ?? null,
    filter.paymentIntent ?? null,
    c ? [c.gt, c.gte, c.lt, c.lte].map((d) => d?.toISOString() ?? null) : null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify({ v: VERSION, p: c.provider, a: c.account, o: c.position, f: c.filter })).toString('base64url');
}

export function decodeCursor(raw: string, field: string, expected: { provider: ProviderName; account: string; filter: string }): Cursor {
  const fail = (why: string): never => {
    throw new BadUserInput(`${field}: ${why}`, field);
  };
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(raw)) fail('not a valid cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    fail('not a valid cursor');
  }
  const o = parsed as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || o.v !== VERSION) fail('not a valid cursor');
  const { p, a, o: position, f } = o;
  if (typeof p !== 'string' || !(PROVIDERS as readonly string[]).includes(p)) fail('not a valid cursor');
  if (typeof a !== 'string' || typeof position !== 'string' || typeof f !== 'string' || position.length === 0) fail('not a valid cursor');
  if (p !== expected.provider || a !== expected.account) fail('this cursor belongs to another provider or account');
  if (f !== expected.filter) fail('this cursor was issued for a different filter; start again without a cursor');
  return { provider: p as ProviderName, account: a as string, position: position as string, filter: f as string };
}
