// Gateway API keys: who may call, with which scopes, at which providers. Read from a JSON or YAML
// file (GATEWAY_API_KEYS_FILE) or inline JSON (GATEWAY_API_KEYS):
//
//   keys:
//     - name: dashboard
//       key: sha256:9f86d08...        # or the key itself (then it is redacted from every log)
//       scopes: [disputes:read]       # disputes:read, disputes:write, evidence:write, metrics:read
//       providers: [STRIPE, AFTERPAY] # or ["*"] (the default): every configured provider
//       accounts: ["STRIPE:eu"]       # optional: only these accounts (beside providers, which must allow them)
//       rateLimit: { perSecond: 10, burst: 20 }   # optional, else GATEWAY_KEY_RATE_LIMIT
//       expiresAt: 2027-01-31T00:00:00Z  # optional: refused from then on (open subscriptions end)
//
// The file is read again on SIGHUP: a key removed from it is revoked, and its open subscriptions end.
//
// A presented key is hashed and compared with every stored digest in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PROVIDERS, type ProviderName } from '../domain/dispute.js';
import { accountKey } from '../domain/ids.js';
import { ConfigError, parseConfigDocument } from '../providers/env.js';

// metrics:read: GET /metrics on the main port (nothing else; METRICS_PORT serves it apart without a key).
export type AuthConfig =
  | { mode: 'keys'; store: KeyStore }
  /** No authentication: the sandbox, or GATEWAY_AUTH=none (which warns once a minute). */
  | { mode: 'open'; warn?: boolean };

export const SCOPES = ['disputes:read', 'disputes:write', 'evidence:write', 'metrics:read'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  name: string;
  scopes: ReadonlySet<Scope>;
  /** Null: every configured provider. */
  providers: ReadonlySet<ProviderName> | null;
  /** Null: every account of the providers allowed. Else accountKeys (`STRIPE:eu`). */
  accounts: ReadonlySet<string> | null;
  rateLimit: { perSecond: number; burst: number };
  /** Refused from this instant on; null: no expiry. */
  expiresAt: Date | null;
  /** The stored digest, hex: which stored key this is (for checking it is still there after a reload). */
  fingerprint: string;
}

interface StoredKey extends ApiKey {
  digest: Buffer;
}

/** Whether a key's provider and account limits let it reach an account (its scopes are checked apart). */
export const reaches = (key: Pick<ApiKey, 'providers' | 'accounts'>, provider: ProviderName, account: string): boolean =>
  (!key.providers || key.providers.has(provider)) && (!key.accounts || key.accounts.has(accountKey(provider, account)));

export const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class KeyStore {
  private constructor(
    private readonly keys: StoredKey[],
    /** Keys given in plain text, to redact from logs. */
    readonly plaintext: string[],
  ) {}

  get size(): number {
    return this.keys.length;
  }

  /** The key's record, or null. Every stored digest is compared, whatever matches first. */
  authenticate(presented: string): ApiKey | null {
    const digest = sha256(presented);
    let found: StoredKey | null = null;
    for (const k of this.keys) if (timingSafeEqual(k.digest, digest) && !found) found = k;
    if (!found || (found.expiresAt !== null && found.expiresAt.getTime() <= Date.now())) return null;
    const { digest: _, ...key } = found;
    return key;
  }

  /** Whether a key authenticated earlier is still in this store and not expired (after a reload, or as time passes). */
  stillValid(key: ApiKey): boolean {
    return this.current(key) !== null;
  }

  /**
   * A key authenticated earlier, as this store has it now: its current scopes, providers, accounts
   * and rate (the file may have narrowed them), or null when it was removed or has expired. Long-lived
   * connections ask again for every operation, so a reload reaches them.
   */
  current(key: ApiKey): ApiKey | null {
    const k = this.keys.find((s) => s.fingerprint === key.fingerprint && s.name === key.name);
    if (!k || (k.expiresAt !== null && k.expiresAt.getTime() <= Date.now())) return null;
    const { digest: _, ...now } = k;
    return now;
  }

  static parse(source: string, origin: string, defaults: ApiKey['rateLimit']): KeyStore {
    const doc = parseConfigDocument(source, origin);
    const list = Array.isArray(doc) ? doc : (doc as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`${origin} must hold a non-empty list of keys (a "keys:" list, or a list)`);
    const names = new Set<string>();
    const plaintext: string[] = [];
    const keys = list.map((raw, i): StoredKey => {
      const at = `${origin}: key ${i + 1}`;
      if (typeof raw !== 'object' || raw === null) throw new ConfigError(`${at} must be an object with name, key and scopes`);
      const r = raw as Record<string, unknown>;
      if (typeof r.name !== 'string' || !/^[\w.-]{1,64}$/.test(r.name)) throw new ConfigError(`${at}: name must be 1-64 letters, digits, . _ or -`);
      if (names.has(r.name)) throw new ConfigError(`${at}: the name "${r.name}" is used twice`);
      names.add(r.name);
      return parseKey(r, r.name, `${origin}: key "${r.name}"`, defaults, plaintext);
    });
    return new KeyStore(keys, plaintext);
  }

  /** From GATEWAY_API_KEYS_FILE or GATEWAY_API_KEYS; null when neither is set. */
  static fromEnv(env: NodeJS.ProcessEnv, defaults: ApiKey['rateLimit']): KeyStore | null {
    const file = env.GATEWAY_API_KEYS_FILE?.trim();
    const inline = env.GATEWAY_API_KEYS?.trim();
    if (file && inline) throw new ConfigError('set GATEWAY_API_KEYS_FILE or GATEWAY_API_KEYS, not both');
    if (file) {
      let source: string;
      try {
        source = readFileSync(file, 'utf8');
      } catch (err) {
        throw new ConfigError(`GATEWAY_API_KEYS_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      return KeyStore.parse(source, file, defaults);
    }
    if (inline) return KeyStore.parse(inline, 'GATEWAY_API_KEYS', defaults);
    return null;
  }
}

/** One entry of the keys file, its name already checked; a key given in plain text is added to `plaintext` (for redaction). */
function parseKey(r: Record<string, unknown>, name: string, where: string, defaults: ApiKey['rateLimit'], plaintext: string[]): StoredKey {
  if (typeof r.key !== 'string') throw new ConfigError(`${where}: key must be a string (the key, or sha256:<64 hex digits>)`);
  let digest: Buffer;
  if (r.key.startsWith('sha256:')) {
    if (!/^sha256:[0-9a-f]{64}$/i.test(r.key)) throw new ConfigError(`${where}: a digest is sha256: followed by 64 hex digits`);
    digest = Buffer.from(r.key.slice(7), 'hex');
  } else {
    if (r.key.length < 24) throw new ConfigError(`${where}: a key must be at least 24 characters`);
    digest = sha256(r.key);
    plaintext.push(r.key);
  }
  const scopes = r.scopes;
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => (SCOPES as readonly unknown[]).includes(s))) {
    throw new ConfigError(`${where}: scopes must list one or more of ${SCOPES.join(', ')}`);
  }
  const providers = providersOf(r.providers, where);
  return {
    name,
    digest,
    fingerprint: digest.toString('hex'),
    expiresAt: expiresAtOf(r.expiresAt, where),
    scopes: new Set(scopes as Scope[]),
    providers,
    accounts: r.accounts === undefined ? null : accountsOf(r.accounts, providers, where),
    rateLimit: rateLimitOf(r.rateLimit, defaults, where),
  };
}

/** `providers` (default every one): null for all. */
function providersOf(value: unknown, where: string): Set<ProviderName> | null {
  const providers = value ?? ['*'];
  if (!Array.isArray(providers) || providers.length === 0) throw new ConfigError(`${where}: providers must be a list (["*"] for all)`);
  for (const p of providers) {
    if (p !== '*' && !(PROVIDERS as readonly unknown[]).includes(p))
      throw new ConfigError(`${where}: unknown provider ${JSON.stringify(p)}; use ${PROVIDERS.join(', ')} or *`);
  }
  return providers.includes('*') ? null : new Set(providers as ProviderName[]);
}

/** `accounts`: PROVIDER:account entries, each at a provider the key reaches. */
function accountsOf(value: unknown, providers: Set<ProviderName> | null, where: string): Set<string> {
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError(`${where}: accounts must be a non-empty list like ["STRIPE:eu"]`);
  for (const a of value) {
    const m = typeof a === 'string' ? /^([A-Z][A-Z0-9_]*):([a-z0-9_-]{1,32})$/.exec(a) : null;
    if (!m || !(PROVIDERS as readonly string[]).includes(m[1]!))
      throw new ConfigError(`${where}: accounts entries are PROVIDER:account, like "STRIPE:eu"; got ${JSON.stringify(a)}`);
    if (providers && !providers.has(m[1] as ProviderName)) throw new ConfigError(`${where}: account ${a} is at a provider the key's providers leave out`);
  }
  return new Set(value as string[]);
}

/** `rateLimit: {perSecond, burst}`, each positive; the burst at least the rate unless given. */
function rateLimitOf(value: unknown, defaults: ApiKey['rateLimit'], where: string): ApiKey['rateLimit'] {
  const rl = (value ?? {}) as Record<string, unknown>;
  const num = (v: unknown, fallback: number, what: string) => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ConfigError(`${where}: rateLimit.${what} must be a positive number`);
    return v;
  };
  const perSecond = num(rl.perSecond, defaults.perSecond, 'perSecond');
  return { perSecond, burst: num(rl.burst, Math.max(defaults.burst, perSecond), 'burst') };
}

/** `expiresAt`: an ISO-8601 date-time (YAML may hand it over as a Date), or none. */
function expiresAtOf(value: unknown, where: string): Date | null {
  if (value === undefined) return null;
  const raw = value instanceof Date ? value.toISOString() : value;
  const expiresAt = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? new Date(raw) : null;
  if (!expiresAt || Number.isNaN(expiresAt.getTime())) throw new ConfigError(`${where}: expiresAt must be an ISO-8601 date-time like 2027-01-31T00:00:00Z`);
  return expiresAt;
}
