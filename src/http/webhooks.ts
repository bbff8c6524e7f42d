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
import type { EventHub, Receipt } from '../events/hub.js';
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

/** What every request to an endpoint shares. */
interface Shared {
  hub: EventHub;
  logger: Logger;
  metrics?: WebhookEndpointOptions['metrics'];
  now: () => number;
  maxBodyBytes: number;
  noteRefusal(e: Endpoint, where: Record<string, string>, reason: string): void;
}

/** One request to one endpoint: read within the limit, verified, taken, answered, and counted once. */
class WebhookRequest {
  private readonly where: Record<string, string>;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly endpoint: Endpoint,
    private readonly shared: Shared,
  ) {
    this.where = { provider: endpoint.provider.definition.name, account: endpoint.provider.config.account };
  }

  private count(result: string): void {
    this.shared.metrics?.webhook(this.endpoint.provider.definition.name, result);
  }

  private rateLimited(wait: number): void {
    this.count('rate_limited');
    sendError(this.res, 429, 'RATE_LIMITED', 'Too many webhook requests; retry later.', { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) });
  }

  private tooLarge(): void {
    this.count('too_large');
    sendError(this.res, 413, 'PAYLOAD_TOO_LARGE', `A webhook body is at most ${this.shared.maxBodyBytes} bytes.`, { connection: 'close' });
  }

  run(): void {
    const { req, res } = this;
    if (Number(req.headers['content-length'] ?? 0) > this.shared.maxBodyBytes) {
      req.resume();
      return this.tooLarge();
    }
    readBounded(
      req,
      this.shared.maxBodyBytes,
      () => {
        if (!res.headersSent) this.tooLarge();
        req.destroy();
      },
      (raw) =>
        void this.take(raw).catch((err: unknown) => {
          this.shared.logger.error('webhook not taken', { ...this.where, error: err });
          this.count('unavailable');
          if (!res.headersSent) sendError(res, 503, 'SERVICE_UNAVAILABLE', 'The event could not be taken now; retry later.', { 'retry-after': '5' });
        }),
    );
  }

  private async take(raw: Buffer): Promise<void> {
    const { definition, config } = this.endpoint.provider;
    const hooks = definition.webhooks!;
    let events;
    try {
      // The raw bytes are verified first; nothing reads them before.
      await hooks.verify(raw, this.req.headers, config.webhook!, this.shared.now());
      events = hooks.read(raw, this.req.headers, config.account);
    } catch (err) {
      return this.refuse(err instanceof WebhookRejected ? err.reason : 'malformed');
    }
    const wait = this.endpoint.bucket.take();
    if (wait > 0) return this.rateLimited(wait);
    this.answer(await this.shared.hub.receive(events));
  }

  /** A request that did not verify or could not be read: 400, from a bucket of its own (past it 429, never charged to signed events). */
  private refuse(reason: string): void {
    const wait = this.endpoint.refusals.take();
    if (wait > 0) return this.rateLimited(wait);
    this.shared.noteRefusal(this.endpoint, this.where, reason);
    this.count(reason);
    const malformed = reason === 'malformed';
    sendError(
      this.res,
      400,
      malformed ? 'WEBHOOK_MALFORMED' : 'WEBHOOK_SIGNATURE_INVALID',
      malformed ? 'The webhook body could not be read.' : `The webhook signature did not verify (${reason}).`,
    );
  }

  private answer(receipt: Receipt): void {
    this.count(receipt);
    if (receipt === 'busy') return sendError(this.res, 503, 'SERVICE_UNAVAILABLE', 'Too many events are waiting; retry later.', { 'retry-after': '5' });
    // Not stored (or still being stored by another delivery): nothing is answered 200 that could be lost.
    if (receipt === 'unavailable')
      return sendError(this.res, 503, 'SERVICE_UNAVAILABLE', 'The event could not be stored now; retry later.', { 'retry-after': '5' });
    this.res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    this.res.end(JSON.stringify({ received: true, duplicate: receipt === 'duplicate' }));
  }
}

/** The endpoints of the configured providers and accounts that have a webhook secret, by `<provider>/<account>`. */
function endpointsOf(providers: readonly ConfiguredProvider[], perSecond: number): Map<string, Endpoint> {
  const endpoints = new Map<string, Endpoint>();
  for (const p of providers) {
    if (!p.definition.webhooks || !p.config.webhook) continue;
    endpoints.set(`${p.definition.name.toLowerCase()}/${p.config.account}`, {
      provider: p,
      bucket: new TokenBucket(perSecond, perSecond * 5),
      refusals: new TokenBucket(perSecond, perSecond * 5),
      refused: new Map(),
      lastWarning: 0,
    });
  }
  return endpoints;
}

export function createWebhookEndpoint(opts: WebhookEndpointOptions): WebhookHandler {
  const { logger } = opts;
  const now = opts.now ?? Date.now;
  const endpoints = endpointsOf(opts.providers, opts.perSecond ?? 100);

  /** Refusals, collapsed: one warning line per endpoint and interval, with the count by reason. */
  const flush = (e: Endpoint, where: Record<string, string>) => {
    e.flushTimer = undefined;
    if (e.refused.size === 0) return;
    e.lastWarning = now();
    const refused = Object.fromEntries(e.refused);
    e.refused.clear();
    logger.warn('webhook refused', { ...where, refused });
  };
  const shared: Shared = {
    hub: opts.hub,
    logger,
    metrics: opts.metrics,
    now,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES,
    noteRefusal(e, where, reason) {
      e.refused.set(reason, (e.refused.get(reason) ?? 0) + 1);
      const since = now() - e.lastWarning;
      if (since >= REFUSAL_WARNING_EVERY_MS) return flush(e, where);
      // Those within the interval are summed up at its end.
      e.flushTimer ??= setTimeout(() => flush(e, where), REFUSAL_WARNING_EVERY_MS - since);
      e.flushTimer.unref?.();
    },
  };

  return (req, res, path) => {
    const m = /^\/webhooks\/([a-z0-9_]{1,32})(?:\/([a-z0-9_-]{1,32}))?\/?$/.exec(path);
    const endpoint = m ? endpoints.get(`${m[1]}/${m[2] ?? 'default'}`) : undefined;
    if (!endpoint) {
      req.resume();
      return sendError(res, 404, 'NOT_FOUND', 'No webhook endpoint here: the provider or account is not configured, or has no webhook secret.');
    }
    if (req.method !== 'POST') {
      req.resume();
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Webhooks are POSTed.', { allow: 'POST' });
    }
    new WebhookRequest(req, res, endpoint, shared).run();
  };
}
