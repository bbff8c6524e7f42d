import { describe, expect, it } from 'vitest';
import { BadUserInput } from '../../src/domain/errors.js';
import { decodeDisputeId, encodeDisputeId } from '../../src/domain/ids.js';
import { CursorKeys, decodeCursor, encodeCursor, filterFingerprint, type NormalizedFilter } from '../../src/gateway/cursor.js';
import { isProviderId } from '../../src/domain/ids.js';
import { END } from '../../src/gateway/merge.js';
import { InMemoryIdempotencyStore } from '../../src/gateway/idempotency.js';
import { createLogger } from '../../src/logger.js';
import { decodeForm, encodeForm } from '../../src/providers/form.js';
import { parseRetryAfter } from '../../src/providers/http.js';

describe('global dispute ids', () => {
  it('round-trips provider, account slot and provider id, opaquely', () => {
    const ref = { provider: 'AFTERPAY' as const, account: 'eu-2', providerDisputeId: 'dp_abc-123' };
    const id = encodeDisputeId(ref);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(id).not.toContain('dp_abc');
    expect(decodeDisputeId(id)).toEqual(ref);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['wrong prefix', Buffer.from('xx1:Dispute:STRIPE:default:du_1').toString('base64url')],
    ['unknown provider', Buffer.from('dg1:Dispute:PAYPAL:default:du_1').toString('base64url')],
    ['too many parts', Buffer.from('dg1:Dispute:STRIPE:default:du_1:x').toString('base64url')],
    ['empty provider id', Buffer.from('dg1:Dispute:STRIPE:default:').toString('base64url')],
    ['space in id', Buffer.from('dg1:Dispute:STRIPE:default:du 1').toString('base64url')],
    // Dot segments and other characters that could change an upstream path's shape.
    ['the dot segment ..', Buffer.from('dg1:Dispute:STRIPE:default:..').toString('base64url')],
    ['the dot segment .', Buffer.from('dg1:Dispute:STRIPE:default:.').toString('base64url')],
    ['a dot in the id', Buffer.from('dg1:Dispute:AFTERPAY:default:dp_1.json').toString('base64url')],
    ['an encoded dot', Buffer.from('dg1:Dispute:STRIPE:default:%2e%2e').toString('base64url')],
    ['an account with a dot', Buffer.from('dg1:Dispute:STRIPE:..:du_1').toString('base64url')],
    ['too long', 'A'.repeat(2000)],
  ])('rejects %s with BadUserInput', (_, id) => {
    expect(() => decodeDisputeId(id)).toThrowError(BadUserInput);
  });
});

describe('cursors', () => {
  const base = { providers: [{ provider: 'STRIPE' as const, account: 'default' }] };
  const fingerprint = filterFingerprint({ ...base, charge: 'ch_1' });
  const streams = ['STRIPE:eu', 'STRIPE:us', 'FLEX:default'];
  const expected = { fingerprint, streams, isPosition: (_: string, p: string) => isProviderId(p) };
  const keys = new CursorKeys(['cursor-secret-now']);
  const cursor = { fingerprint, stream: 'STRIPE:us', states: { 'STRIPE:us': ['du_9', 'du_8'] as [string, string], 'FLEX:default': [null, END] as [null, 0] } };

  it('round-trip every account stream state, stay opaque, and name no provider or account', () => {
    const c = encodeCursor(cursor, keys, streams);
    expect(c).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(decodeCursor(c, 'after', expected, keys)).toEqual(cursor);
    expect(Buffer.from(c.split('.')[0]!, 'base64url').toString()).not.toMatch(/STRIPE|FLEX|default/);
  });

  it('are signed: an altered or self-made cursor is refused, a rotated-out secret keeps verifying while listed', () => {
    const c = encodeCursor(cursor, keys, streams);
    const [payload, signature] = c.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ v: 3, f: fingerprint, e: 0, s: [['du_1', null], 0, 0] })).toString('base64url');
    expect(() => decodeCursor(`${forged}.${signature}`, 'after', expected, keys)).toThrowError(/not a cursor this gateway issued/);
    expect(() => decodeCursor(`${payload}.${signature.slice(0, -1)}A`, 'after', expected, keys)).toThrowError(/not a cursor this gateway issued/);
    expect(() => decodeCursor(payload, 'after', expected, keys)).toThrowError(/start again without a cursor/);
    // Rotation: the new secret signs, the old one still verifies until it is removed.
    const rotated = new CursorKeys(['cursor-secret-next', 'cursor-secret-now']);
    expect(decodeCursor(c, 'after', expected, rotated)).toEqual(cursor);
    expect(encodeCursor(cursor, rotated, streams)).not.toBe(c);
    expect(() => decodeCursor(c, 'after', expected, new CursorKeys(['cursor-secret-next']))).toThrowError(/not a cursor this gateway issued/);
  });

  it('fingerprint the whole filter: range bounds, statuses, providers and their accounts', () => {
    const fp = (f: Partial<NormalizedFilter>) => filterFingerprint({ ...base, ...f });
    expect(fp({ created: { gte: new Date(0) } })).not.toBe(fp({ created: { gt: new Date(0) } }));
    expect(fp({ statuses: ['WON'] })).not.toBe(fp({ statuses: ['LOST'] }));
    expect(fp({ currency: 'usd' })).not.toBe(fp({}));
    expect(fp({ providers: [{ provider: 'STRIPE', account: 'other' }] })).not.toBe(fp({}));
    expect(fp({ providers: [{ provider: 'FLEX', account: 'default' }] })).not.toBe(fp({}));
  });

  // Signed with the right secret, so what is tested is the check after the signature.
  const b64 = (v: unknown) => {
    const payload = Buffer.from(JSON.stringify(v)).toString('base64url');
    return `${payload}.${keys.sign(payload)}`;
  };
  it.each([
    ['another filter', encodeCursor({ ...cursor, fingerprint: 'other' }, keys, streams), /different filter/],
    ['an edge stream outside the filter', b64({ v: 3, f: fingerprint, e: 3, s: [0, ['du_9', null], 0] }), /not a valid cursor/],
    ['an edge stream without a position', b64({ v: 3, f: fingerprint, e: 2, s: [0, ['du_9', null], [null, 0]] }), /not a valid cursor/],
    ['a state list of another length', b64({ v: 3, f: fingerprint, e: 0, s: [['du_1', null]] }), /not a valid cursor/],
    ['a malformed state', b64({ v: 3, f: fingerprint, e: 0, s: [['du_1', 7], 0, 0] }), /not a valid cursor/],
    ['an empty position', b64({ v: 3, f: fingerprint, e: 0, s: [['', null], 0, 0] }), /not a valid cursor/],
    ['a dot-segment position', b64({ v: 3, f: fingerprint, e: 0, s: [['..', null], 0, 0] }), /not a valid cursor/],
    ['a position not of the provider form', b64({ v: 3, f: fingerprint, e: 0, s: [['du_1', 'a/b'], 0, 0] }), /not a valid cursor/],
    [
      'a cursor from before accounts (version 2)',
      b64({ v: 2, f: fingerprint, p: 'STRIPE', s: { STRIPE: ['du_1', null] } }),
      /earlier version of the gateway; start again/,
    ],
    ['JSON that is not a cursor', b64([1, 2]), /not a valid cursor/],
    ['not base64url', '***', /start again without a cursor/],
  ])('reject %s', (_, raw, message) => {
    expect(() => decodeCursor(raw, 'after', expected, keys)).toThrowError(message);
  });
});

describe('form encoding', () => {
  it('encodes nested objects and arrays with brackets, skipping undefined', () => {
    const body = encodeForm({ created: { gte: 1, lt: undefined }, expand: ['a', 'b'], metadata: { k: 'v w' }, limit: 10, x: undefined });
    expect(decodeURIComponent(body)).toBe('created[gte]=1&expand[0]=a&expand[1]=b&metadata[k]=v+w&limit=10');
    expect(decodeForm(body)).toEqual({ created: { gte: '1' }, expand: { 0: 'a', 1: 'b' }, metadata: { k: 'v w' }, limit: '10' });
  });

  it('decodes Stripe-style empty brackets as a list', () => {
    expect(decodeForm('expand[]=a&expand[]=b')).toEqual({ expand: { 0: 'a', 1: 'b' } });
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(50_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('logger redaction', () => {
  it('removes every configured secret from every line, whatever field carries it', () => {
    const lines: string[] = [];
    const secret = 'sk_test_abcdef1234567890';
    const log = createLogger({ secrets: [secret, 'short'], write: (l) => lines.push(l) });
    log.error(`failed with ${secret}`, { header: `Basic ${secret}:`, nested: { err: new Error(`key ${secret}`) } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain('[REDACTED]');
    expect(log.redact(`x${secret}x`)).toBe('x[REDACTED]x');
  });
});

describe('in-memory idempotency store', () => {
  it('forgets a record after its time to live', async () => {
    let now = 0;
    const store = new InMemoryIdempotencyStore<string>(1000, 10, () => now);
    await store.set('k', { fingerprint: 'f', result: 'r' });
    now = 999;
    expect(await store.get('k')).toEqual({ fingerprint: 'f', result: 'r' });
    now = 1000;
    expect(await store.get('k')).toBeUndefined();
  });

  it('evicts the oldest record when full', async () => {
    const store = new InMemoryIdempotencyStore<number>(60_000, 2);
    await store.set('a', { fingerprint: 'a', result: 1 });
    await store.set('b', { fingerprint: 'b', result: 2 });
    await store.set('c', { fingerprint: 'c', result: 3 });
    expect(await store.get('a')).toBeUndefined();
    expect((await store.get('c'))?.result).toBe(3);
  });
});
