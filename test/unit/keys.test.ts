import { describe, expect, it } from 'vitest';
import { KeyStore, sha256 } from '../../src/auth/keys.js';
import { ConfigError } from '../../src/providers/env.js';
import { TokenBucket } from '../../src/token-bucket.js';

const defaults = { perSecond: 50, burst: 100 };
const KEY = 'gk_live_0123456789abcdefghijkl';

describe('API key store', () => {
  it('reads YAML and JSON, digests and plain keys, scopes, providers and rate limits', () => {
    const yaml = `keys:\n  - name: dash\n    key: sha256:${sha256(KEY).toString('hex')}\n    scopes: [disputes:read]\n    providers: [STRIPE, AFTERPAY]\n    rateLimit: { perSecond: 2 }\n`;
    const store = KeyStore.parse(yaml, 'keys.yaml', defaults);
    const key = store.authenticate(KEY)!;
    expect(key.name).toBe('dash');
    expect([...key.scopes]).toEqual(['disputes:read']);
    expect([...key.providers!]).toEqual(['STRIPE', 'AFTERPAY']);
    expect(key.rateLimit).toEqual({ perSecond: 2, burst: 100 });
    expect(store.plaintext).toEqual([]);
    expect(store.authenticate(`${KEY}x`)).toBeNull();
    expect(store.authenticate('')).toBeNull();

    const json = KeyStore.parse(JSON.stringify([{ name: 'ops', key: KEY, scopes: ['disputes:read', 'disputes:write'] }]), 'GATEWAY_API_KEYS', defaults);
    expect(json.authenticate(KEY)).toMatchObject({ name: 'ops', providers: null });
    expect(json.plaintext).toEqual([KEY]);
  });

  it.each([
    ['not YAML', 'keys: [', /not valid JSON or YAML/],
    ['no keys', 'keys: []', /non-empty list/],
    ['a short key', `[{"name":"a","key":"short","scopes":["disputes:read"]}]`, /at least 24 characters/],
    ['a bad digest', `[{"name":"a","key":"sha256:abc","scopes":["disputes:read"]}]`, /64 hex digits/],
    ['an unknown scope', `[{"name":"a","key":"${KEY}","scopes":["disputes:delete"]}]`, /scopes must list/],
    ['an unknown provider', `[{"name":"a","key":"${KEY}","scopes":["disputes:read"],"providers":["PAYPAL"]}]`, /unknown provider "PAYPAL"/],
    ['a repeated name', `[{"name":"a","key":"${KEY}","scopes":["disputes:read"]},{"name":"a","key":"${KEY}y","scopes":["disputes:read"]}]`, /used twice/],
  ])('refuses %s with a clear message', (_, source, message) => {
    expect(() => KeyStore.parse(source, 'keys.yaml', defaults)).toThrowError(ConfigError);
    expect(() => KeyStore.parse(source, 'keys.yaml', defaults)).toThrowError(message);
  });

  it('refuses a key past its expiresAt, and says a key let in earlier is no longer valid after a reload without it', () => {
    const key = 'gk_expiring_key_0123456789abcdef';
    const doc = (expiresAt: string) =>
      JSON.stringify([
        { name: 'temp', key, scopes: ['disputes:read'], expiresAt },
        { name: 'other', key: 'gk_other_key_0123456789abcdef00', scopes: ['disputes:read'] },
      ]);
    const future = KeyStore.parse(doc(new Date(Date.now() + 60_000).toISOString()), 'keys', { perSecond: 1, burst: 1 });
    const past = KeyStore.parse(doc(new Date(Date.now() - 1).toISOString()), 'keys', { perSecond: 1, burst: 1 });
    const admitted = future.authenticate(key)!;
    expect(admitted.name).toBe('temp');
    expect(future.stillValid(admitted)).toBe(true);
    expect(past.authenticate(key)).toBeNull();
    expect(past.stillValid(admitted)).toBe(false);
    const without = KeyStore.parse(JSON.stringify([{ name: 'other', key: 'gk_other_key_0123456789abcdef00', scopes: ['disputes:read'] }]), 'keys', {
      perSecond: 1,
      burst: 1,
    });
    expect(without.stillValid(admitted)).toBe(false);
    expect(() => KeyStore.parse(doc('next tuesday'), 'keys', { perSecond: 1, burst: 1 })).toThrow(/expiresAt must be an ISO-8601/);
  });

  it('reads a .json file as JSON only', () => {
    expect(() => KeyStore.parse('keys: []', 'keys.json', defaults)).toThrowError(/not valid JSON or YAML/);
  });

  it('refuses both sources at once, and a file it cannot read', () => {
    expect(() => KeyStore.fromEnv({ GATEWAY_API_KEYS_FILE: '/x', GATEWAY_API_KEYS: '[]' }, defaults)).toThrowError(/not both/);
    expect(() => KeyStore.fromEnv({ GATEWAY_API_KEYS_FILE: '/nonexistent/keys.yaml' }, defaults)).toThrowError(/cannot read/);
    expect(KeyStore.fromEnv({}, defaults)).toBeNull();
  });
});

describe('token bucket', () => {
  it('allows the burst, then one token per 1/rate seconds', () => {
    let now = 0;
    const b = new TokenBucket(2, 3, () => now);
    expect([b.take(), b.take(), b.take()]).toEqual([0, 0, 0]);
    expect(b.take()).toBe(500);
    now = 500;
    expect(b.take()).toBe(0);
    expect(b.take()).toBe(500);
  });
});
