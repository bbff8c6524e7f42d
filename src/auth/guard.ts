// The HTTP door: who is calling (Bearer API key), from where (Origin, for browsers), how often
// (a token bucket per key). Runs before GraphQL; its refusals are GraphQL-shaped JSON errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError as refuse } from '../http-error.js';
import type { Logger } from '../logger.js';
import { TokenBucket } from '../token-bucket.js';
import type { ApiKey, KeyStore } from './keys.js';

export type AuthConfig =
  | { mode: 'keys'; store: KeyStore }
  /** No authentication: the sandbox, or GATEWAY_AUTH=none (which warns once a minute). */
  | { mode: 'open'; warn?: boolean };

export interface GuardOptions {
  auth: AuthConfig;
  /** Browser origins allowed to call (CORS_ORIGINS); the gateway's own origin always is. */
  corsOrigins: readonly string[];
  logger: Logger;
}

export type GuardResult = { ok: true; key: ApiKey | null } | { ok: false };

const WARN_EVERY_MS = 60_000;

export function createGuard(opts: GuardOptions) {
  const buckets = new Map<string, TokenBucket>();
  let lastWarning = 0;


  return function guard(req: IncomingMessage, res: ServerResponse): GuardResult {
    // CSRF: a browser names the page's origin. Only the gateway's own and the allowlist may call.
    const origin = req.headers.origin;
    if (origin && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}` && !opts.corsOrigins.includes(origin)) {
      refuse(res, 403, 'FORBIDDEN', `Requests from the origin ${origin} are not allowed (see CORS_ORIGINS).`);
      return { ok: false };
    }

    if (opts.auth.mode === 'open') {
      if (opts.auth.warn && Date.now() - lastWarning >= WARN_EVERY_MS) {
        lastWarning = Date.now();
        opts.logger.warn('GATEWAY_AUTH=none: requests are not authenticated; anyone who reaches this gateway can read and close disputes');
      }
      return { ok: true, key: null };
    }

    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const key = m ? opts.auth.store.authenticate(m[1]!) : null;
    if (!key) {
      refuse(res, 401, 'UNAUTHENTICATED', m ? 'The API key is not valid.' : 'An API key is required: send Authorization: Bearer <key>.', {
        'www-authenticate': 'Bearer realm="dispute-gateway"',
      });
      return { ok: false };
    }

    let bucket = buckets.get(key.name);
    if (!bucket) buckets.set(key.name, (bucket = new TokenBucket(key.rateLimit.perSecond, key.rateLimit.burst)));
    const waitMs = bucket.take();
    if (waitMs > 0) {
      refuse(res, 429, 'RATE_LIMITED', `The key "${key.name}" is over its rate of ${key.rateLimit.perSecond} requests a second.`, {
        'retry-after': String(Math.ceil(waitMs / 1000)),
      });
      return { ok: false };
    }
    return { ok: true, key };
  };
}
