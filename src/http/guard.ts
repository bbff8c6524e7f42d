// The HTTP door: to which name (Host, against DNS rebinding), from where (Origin, for browsers),
// who is calling (Bearer API key), how often (a token bucket per key). Runs before GraphQL; its
// refusals are GraphQL-shaped JSON errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { ApiKey, AuthConfig, KeyStore } from '../auth/keys.js';
import { inMemoryKeyRateLimiter, type KeyRateLimiter } from '../auth/rate.js';
import type { Logger } from '../logger.js';
import { sendError as refuse } from './error.js';

export interface GuardOptions {
  auth: AuthConfig;
  /** The names (Host header, lower case, optional :port) this gateway answers to; '*' for any. */
  allowedHosts: readonly string[] | '*';
  /** Browser origins allowed to call: CORS_ORIGINS and the gateway's own (see ownOrigins). */
  allowedOrigins: readonly string[];
  logger: Logger;
  /** Default: in process memory. */
  keyRateLimiter?: KeyRateLimiter;
}

/** What the door decided: a caller (a key, or none on an open gateway), or a refusal already sent. */
export type GuardResult = { ok: true; key: ApiKey | null } | { ok: false; status: number; code: string };

const WARN_EVERY_MS = 60_000;

export const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * The Host names allowed when ALLOWED_HOSTS is not set: the loopback names, the address bound to
 * (when it is one address, not a wildcard) and the public URL's host.
 */
export function defaultAllowedHosts(bindHost: string, publicUrl?: string): string[] {
  const out = new Set(LOOPBACK_NAMES);
  if (bindHost !== '0.0.0.0' && bindHost !== '::') out.add(isIP(bindHost) === 6 ? `[${bindHost}]` : bindHost.toLowerCase());
  if (publicUrl) out.add(new URL(publicUrl).host.toLowerCase());
  return [...out];
}

/** The gateway's own browser origins: each allowed host, over http and https, at `port`. */
export function ownOrigins(allowedHosts: readonly string[] | '*', port: number, publicUrl?: string): string[] {
  const out = new Set<string>();
  if (publicUrl) out.add(new URL(publicUrl).origin);
  if (allowedHosts !== '*') {
    for (const h of allowedHosts) {
      const hasPort = /:\d+$/.test(h);
      for (const scheme of ['http', 'https']) {
        out.add(`${scheme}://${hasPort ? h : `${h}:${port}`}`);
        // A name without a port is also the one a proxy in front serves on its default port.
        if (!hasPort && !LOOPBACK_NAMES.includes(h)) out.add(`${scheme}://${h}`);
      }
    }
  } else {
    for (const h of LOOPBACK_NAMES) out.add(`http://${h}:${port}`);
  }
  return [...out];
}

/** Whether a Host header names this gateway: its name, with or without a port, is allowed. */
export function hostAllowed(header: string | undefined, allowed: readonly string[] | '*'): boolean {
  if (allowed === '*') return true;
  if (!header) return false;
  const host = header.trim().toLowerCase();
  const name = host.replace(/:\d+$/, '');
  return allowed.includes(host) || allowed.includes(name);
}

/** The HTTP door for one gateway (see the top of this file). */
export class Guard {
  private readonly rates: KeyRateLimiter;
  /** Replaced by reload() (SIGHUP): keys removed are revoked from then on. */
  private store: KeyStore | null;
  private lastWarning = 0;
  readonly open: boolean;

  constructor(private readonly opts: GuardOptions) {
    this.rates = opts.keyRateLimiter ?? inMemoryKeyRateLimiter();
    this.store = opts.auth.mode === 'keys' ? opts.auth.store : null;
    this.open = opts.auth.mode === 'open';
  }

  private refused(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): GuardResult {
    refuse(res, status, code, message, headers);
    return { ok: false, status, code };
  }

  /** Host and Origin, judged without answering: the refusal, or null (WebSocket upgrades use it as it is). */
  placement(req: IncomingMessage): { status: number; code: string; message: string } | null {
    if (!hostAllowed(req.headers.host, this.opts.allowedHosts)) {
      return { status: 421, code: 'HOST_NOT_ALLOWED', message: 'This gateway does not answer to that Host name (see ALLOWED_HOSTS).' };
    }
    // CSRF: a browser names the page's origin. Only the gateway's own and the allowlist may call.
    const origin = req.headers.origin;
    if (origin !== undefined && !this.opts.allowedOrigins.includes(origin)) {
      return { status: 403, code: 'FORBIDDEN', message: `Requests from the origin ${origin.slice(0, 200)} are not allowed (see CORS_ORIGINS).` };
    }
    return null;
  }

  /** Host only: /metrics and /webhooks/* (a provider or a scraper sends no Origin worth judging). */
  placeHost(req: IncomingMessage, res: ServerResponse): GuardResult | null {
    if (hostAllowed(req.headers.host, this.opts.allowedHosts)) return null;
    return this.refused(res, 421, 'HOST_NOT_ALLOWED', 'This gateway does not answer to that Host name (see ALLOWED_HOSTS).');
  }

  /** Host and Origin only: what every request on the GraphQL path must pass, a key or not. */
  place(req: IncomingMessage, res: ServerResponse): GuardResult | null {
    const refusal = this.placement(req);
    return refusal && this.refused(res, refusal.status, refusal.code, refusal.message);
  }

  /** The key an Authorization header presents, if valid: null when none or a wrong one (on a keyed gateway). */
  private identify(authorization: string | undefined): { key: ApiKey | null; presented: boolean } {
    if (this.store === null) return { key: null, presented: false };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return { key: m ? this.store.authenticate(m[1]!) : null, presented: m !== null };
  }

  /** Whether a request presents a valid key (trace trust). */
  presentsKey(req: IncomingMessage): boolean {
    return this.identify(req.headers.authorization).key !== null;
  }

  /**
   * The caller, after place(): a key (rate limited), or none on an open gateway; else refused.
   * Synchronous unless the key's rate comes from a shared (network) limiter.
   */
  authorize(req: IncomingMessage, res: ServerResponse): GuardResult | Promise<GuardResult> {
    if (this.opts.auth.mode === 'open') {
      if (this.opts.auth.warn && Date.now() - this.lastWarning >= WARN_EVERY_MS) {
        this.lastWarning = Date.now();
        this.opts.logger.warn('GATEWAY_AUTH=none: requests are not authenticated; anyone who reaches this gateway can read and close disputes');
      }
      return { ok: true, key: null };
    }
    const { key, presented } = this.identify(req.headers.authorization);
    if (!key) {
      return this.refused(res, 401, 'UNAUTHENTICATED', presented ? 'The API key is not valid.' : 'An API key is required: send Authorization: Bearer <key>.', {
        'www-authenticate': 'Bearer realm="dispute-gateway"',
      });
    }
    const rated = (waitMs: number): GuardResult =>
      waitMs > 0
        ? this.refused(res, 429, 'RATE_LIMITED', `The key "${key.name}" is over its rate of ${key.rateLimit.perSecond} requests a second.`, {
            'retry-after': String(Math.ceil(waitMs / 1000)),
          })
        : { ok: true, key };
    const waitMs = this.rates.take(key.name, key.rateLimit);
    return typeof waitMs === 'number' ? rated(waitMs) : waitMs.then(rated);
  }

  /** The key presented, checked and rate limited, without writing an answer (WebSocket upgrades, connection params). */
  async check(authorization: string | undefined): Promise<GuardResult> {
    if (this.open) return { ok: true, key: null };
    const { key } = this.identify(authorization);
    if (!key) return { ok: false, status: 401, code: 'UNAUTHENTICATED' };
    if ((await this.rates.take(key.name, key.rateLimit)) > 0) return { ok: false, status: 429, code: 'RATE_LIMITED' };
    return { ok: true, key };
  }

  /** A token of the key's rate, taken now: the wait (ms) before it may go, 0 when it went. Open gateways have no rate. */
  take(key: ApiKey | null): number | Promise<number> {
    return key === null ? 0 : this.rates.take(key.name, key.rateLimit);
  }

  /** Whether a key let in earlier is still valid: in the current store and not expired. */
  stillValid(key: ApiKey): boolean {
    return this.store === null || this.store.stillValid(key);
  }

  /** A key let in earlier as the keys file has it now (rights narrowed by a reload apply), or null: revoked or expired. */
  current(key: ApiKey): ApiKey | null {
    return this.store === null ? key : this.store.current(key);
  }

  /** Swaps in a new set of keys (the keys file read again). */
  reload(next: KeyStore): void {
    if (this.store === null) throw new Error('the gateway runs without keys: there is nothing to reload');
    this.store = next;
  }
}

export const createGuard = (opts: GuardOptions): Guard => new Guard(opts);
