// POST /webhooks/{provider} and /webhooks/{provider}/{account}: providers' signed events. Not
// behind the API-key guard (the signature is the authentication), but rate limited per endpoint
// and bounded: its own body limit, read as raw bytes and verified before anything parses them.
// The signature is verified before the endpoint's rate is charged (verifying is cheap and bounded
// by the body limit), so a correctly signed event is never refused because of unsigned traffic:
// verified events take from one bucket, refused ones from another, and refusals are logged as one
// warning line per endpoint and interval, with their count.
//   404  no such provider or account, or no webhook secret configured for it
//   405  not a POST
//   413  a body over WEBHOOK_MAX_BODY_BYTES
//   429  over the endpoint's rate (the provider retries)
//   400  a missing or bad signature, a timestamp more than 5 minutes off, or a body that cannot be read:
//        nothing published, one warning line without the body
//   503  too many events waiting, an event that could not be stored (its claim given back), or one
//        another delivery is still storing (the provider retries; nothing answered 200 is lost)
//   200  verified and stored in the history (`duplicate: true`: stored before, not published again)
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventHub } from '../events/hub.js';
import type { Logger } from '../logger.js';
import type { ConfiguredProvider } from '../providers/registry.js';
import { WebhookRejected } from '../providers/webhooks.js';
import { TokenBucket } from '../token-bucket.js';
import { sendError } from './error.js';
import { readBounded } from './edge.js';
import type { GatewayMetrics } from '../ops/metrics.js';

export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookEndpointOptions {
  providers: readonly ConfiguredProvider[];
  hub: EventHub;
  logger: Logger;
  maxBodyBytes?: number;
  /** Requests a second per endpoint (WEBHOOK_RATE_LIMIT), with a burst of five seconds' worth. */
  perSecond?: number;
  now?: () => number;
  /** Told of every webhook request at a configured endpoint, by result. */
  metrics?: Pick<GatewayMetrics, 'webhook'>;
}

/** How often refused webhook requests are summed up in one warning line per endpoint. */
const REFUSAL_WARNING_EVERY_MS = 10_000;

interface Endpoint {
  provider: ConfiguredProvider;
  /** Verified events. */
  bucket: TokenBucket;
  /** Refused requests (bad or missing signature, malformed): their own share. */
  refusals: TokenBucket;
  /** Refusals not yet logged, by reason. */
  refused: Map<string, number>;
  lastWarning: number;
  flushTimer?: NodeJS.Timeout;
}

export type WebhookHandler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

export function createWebhookEndpoint(opts: WebhookEndpointOptions): WebhookHandler {
  const { logger, hub } = opts;
  const max = opts.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES;
  const now = opts.now ?? Date.now;
  const perSecond = opts.perSecond ?? 100;
  const endpoints = new Map<string, Endpoint>();
  for (const p of opts.providers) {
    if (!p.definition.webhooks || !p.config.webhook) continue;
    const name = p.definition.name.toLowerCase();
    const entry: Endpoint = {
      provider: p,
      bucket: new TokenBucket(perSecond, perSecond * 5),
      refusals: new TokenBucket(perSecond, perSecond * 5),
      refused: new Map(),
      lastWarning: 0,
    };
    endpoints.set(`${name}/${p.config.account}`, entry);
  }

  /** Refusals, collapsed: one warning line per endpoint and interval, with the count by reason. */
  const flush = (e: Endpoint, where: Record<string, string>) => {
    e.flushTimer = undefined;
    if (e.refused.size === 0) return;
    e.lastWarning = now();
    const refused = Object.fromEntries(e.refused);
    e.refused.clear();
    logger.warn('webhook refused', { ...where, refused });
  };
  const noteRefusal = (e: Endpoint, where: Record<string, string>, reason: string) => {
    e.refused.set(reason, (e.refused.get(reason) ?? 0) + 1);
    const since = now() - e.lastWarning;
    if (since >= REFUSAL_WARNING_EVERY_MS) return flush(e, where);
    // Those within the interval are summed up at its end.
    e.flushTimer ??= setTimeout(() => flush(e, where), REFUSAL_WARNING_EVERY_MS - since);
    e.flushTimer.unref?.();
  };

  return (req, res, path) => {
    const m = /^\/webhooks\/([a-z0-9_]{1,32})(?:\/([a-z0-9_-]{1,32}))?\/?$/.exec(path);
    const endpoint = m ? endpoints.get(`${m[1]}/${m[2] ?? 'default'}`) : undefined;
    if (!endpoint) {
      req.resume();
      sendError(res, 404, 'NOT_FOUND', 'No webhook endpoint here: the provider or account is not configured, or has no webhook secret.');
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Webhooks are POSTed.', { allow: 'POST' });
      return;
    }
    const { definition, config } = endpoint.provider;
    const where = { provider: definition.name, account: config.account };
    const count = (result: string) => opts.metrics?.webhook(definition.name, result);
    const rateLimited = (wait: number) => {
      count('rate_limited');
      sendError(res, 429, 'RATE_LIMITED', 'Too many webhook requests; retry later.', { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) });
    };
    const tooLarge = () => {
      count('too_large');
      sendError(res, 413, 'PAYLOAD_TOO_LARGE', `A webhook body is at most ${max} bytes.`, { connection: 'close' });
    };
    if (Number(req.headers['content-length'] ?? 0) > max) {
      req.resume();
      tooLarge();
      return;
    }
    readBounded(
      req,
      max,
      () => {
        if (!res.headersSent) tooLarge();
        req.destroy();
      },
      (raw) =>
        void take(raw).catch((err: unknown) => {
          logger.error('webhook not taken', { ...where, error: err });
          count('unavailable');
          if (!res.headersSent) sendError(res, 503, 'SERVICE_UNAVAILABLE', 'The event could not be taken now; retry later.', { 'retry-after': '5' });
        }),
    );

    async function take(raw: Buffer): Promise<void> {
      const hooks = definition.webhooks!;
      let events;
      try {
        // The raw bytes are verified first; nothing reads them before.
        await hooks.verify(raw, req.headers, config.webhook!, now());
        events = hooks.read(raw, req.headers, config.account);
      } catch (err) {
        const reason = err instanceof WebhookRejected ? err.reason : 'malformed';
        // Refusals have a bucket of their own: past it they are answered 429, never charged to signed events.
        const wait = endpoint!.refusals.take();
        if (wait > 0) return rateLimited(wait);
        noteRefusal(endpoint!, where, reason);
        count(reason);
        sendError(
          res,
          400,
          reason === 'malformed' ? 'WEBHOOK_MALFORMED' : 'WEBHOOK_SIGNATURE_INVALID',
          reason === 'malformed' ? 'The webhook body could not be read.' : `The webhook signature did not verify (${reason}).`,
        );
        return;
      }
      const wait = endpoint!.bucket.take();
      if (wait > 0) return rateLimited(wait);
      const receipt = await hub.receive(events);
      count(receipt);
      if (receipt === 'busy') {
        sendError(res, 503, 'SERVICE_UNAVAILABLE', 'Too many events are waiting; retry later.', { 'retry-after': '5' });
        return;
      }
      if (receipt === 'unavailable') {
        // Not stored (or still being stored by another delivery): nothing is answered 200 that could be lost.
        sendError(res, 503, 'SERVICE_UNAVAILABLE', 'The event could not be stored now; retry later.', { 'retry-after': '5' });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ received: true, duplicate: receipt === 'duplicate' }));
    }
  };
}
