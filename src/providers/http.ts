// The one request pipeline every provider client goes through: URL and body encoding, auth
// headers, timeouts, retries with backoff, body consumption and the error taxonomy. Provider
// folders supply only how to authenticate and how to read their error envelope.
import { randomUUID } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import type { ProviderName } from '../domain/dispute.js';
import { displayNameOf } from '../domain/provider-names.js';
import { BadUserInput, ProviderError, type ProviderErrorCode } from '../domain/errors.js';
import { isProviderId, truncate } from '../domain/ids.js';
import { countUpstreamCall, currentCaller } from '../context/request-scope.js';
import { GATEWAY_USER_AGENT } from '../version.js';
import type { Logger } from '../logger.js';
import { encodeForm, type FormValue } from './form.js';
import { MalformedUpstream } from './wire.js';
import {
  inMemoryResilience,
  type Breaker,
  type BreakerOptions,
  type Limiter,
  type ProviderHealth,
  type RateLimitOptions,
  type ResilienceFactory,
} from './resilience.js';
import type { PipelineSettings } from './env.js';

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, FormValue>;
  /** Sent form-encoded or as JSON, per `encoding` (on a GET too, where a provider documents that). */
  body?: Record<string, FormValue>;
  encoding?: 'form' | 'json';
  /**
   * A body of another kind, made afresh for every attempt (so a retry sends it whole again):
   * multipart form data (file uploads), or any replayable stream with its content type.
   */
  payload?: () => { body: FormData } | { body: AsyncIterable<Uint8Array> | Uint8Array; contentType: string; length?: number };
  /** What this request does, for observers (metrics, traces): `disputes.list`, `disputes.close`… */
  operation?: string;
  /** Sent as `Idempotency-Key` when the provider supports it; makes a POST safe to retry. */
  idempotencyKey?: string;
  /** Extra headers for this request only. */
  headers?: Record<string, string>;
  /** False: never retry, whatever the method (a write the provider cannot deduplicate). */
  retry?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body. */
  json: unknown;
  requestId: string | undefined;
}

/** What a provider's error envelope says, read from a non-2xx response. */
export interface EnvelopeInfo {
  providerCode?: string;
  message?: string;
}

/**
 * Told around each exchange with a provider (tracing, ops/spans.ts): before it is sent, with the
 * headers it may add to (trace context); at its end, with the status or the failure.
 */
export interface ExchangeSpans {
  start(
    exchange: { provider: string; account: string; operation: string; method: string; url: string; resend: number },
    headers: Record<string, string>,
  ): { end(status: number | undefined, error?: unknown): void };
}

export interface PipelineOptions {
  provider: ProviderName;
  baseUrl: string;
  /** Names a second host of the account (its own breaker and rate limit), e.g. `files`. */
  hostScope?: string;
  dispatcher: Dispatcher;
  logger: Logger;
  authHeaders: () => Record<string, string>;
  readErrorEnvelope: (json: unknown) => EnvelopeInfo;
  /** Response header carrying the provider's request id. */
  requestIdHeader?: string;
  /** Whether the provider honours an `Idempotency-Key` header. */
  sendsIdempotencyKey?: boolean;
  timeoutMs?: number;
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** All attempts of one operation, retries and their waits included, end within this. */
  budgetMs?: number;
  breaker?: BreakerOptions;
  /** Null: no client-side limit. */
  rateLimit?: RateLimitOptions | null;
  /** The account these requests are for (breakers and limits are per account). */
  account?: string;
  /** Where the breaker and the rate limit come from (default: in process memory). */
  resilience?: ResilienceFactory;
  /** Told about every attempt, retries included (metrics, tracing). Never given a body or a secret. */
  observer?: AttemptObserver;
  /** A CLIENT span per attempt, and traceparent on the request (absent: tracing is off). */
  spans?: ExchangeSpans;
  /**
   * The provider's own word on retrying a failed response (Stripe's `Stripe-Should-Retry`): true or
   * false decides; undefined leaves it to the status (409, 429 and 5xx are retried).
   */
  retryHint?: (headers: HttpResponse['headers']) => boolean | undefined;
  /**
   * The provider's own error codes that, on a 404, mean "no such object" (Stripe: resource_missing).
   * Any other 404 (a wrong base URL, a proxy's page, an unknown route) is a PROVIDER_ERROR.
   */
  notFoundCodes: readonly string[];
}

/** One attempt at a provider, as observers see it. */
export interface AttemptEvent {
  provider: ProviderName;
  account: string;
  operation: string;
  method: string;
  /** The HTTP status, when the provider answered. */
  status?: number;
  outcome: 'ok' | 'retry' | 'error' | 'breaker_open' | 'rate_limited';
  durationMs: number;
  /** 0 for the first attempt. */
  attempt: number;
  breakerState: ProviderHealth['state'];
  /** The gateway's error code when the attempt failed. */
  code?: string;
}

export type AttemptObserver = (e: AttemptEvent) => void;

/** Pipeline options from a provider's settings (see providers/env.ts). */
export function fromSettings(s: PipelineSettings, maxPerSecond?: number): Pick<PipelineOptions, 'timeoutMs' | 'breaker' | 'rateLimit'> {
  return {
    timeoutMs: s.timeoutMs,
    breaker: { threshold: s.breakerThreshold, cooldownMs: s.breakerCooldownMs },
    rateLimit: s.ratePerSecond > 0 ? { perSecond: Math.min(s.ratePerSecond, maxPerSecond ?? Infinity), maxQueueMs: DEFAULT_RATE_LIMIT.maxQueueMs } : null,
  };
}

export const DEFAULT_BREAKER: BreakerOptions = { threshold: 5, cooldownMs: 10_000 };
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 25, maxQueueMs: 2_000 };

/** How messages name a provider: its definition's displayName. */
export const providerDisplayName = (p: ProviderName): string => displayNameOf(p);

export class HttpPipeline {
  private readonly o: Required<Omit<PipelineOptions, 'requestIdHeader' | 'account' | 'resilience' | 'observer' | 'retryHint' | 'hostScope' | 'spans'>> &
    Pick<PipelineOptions, 'observer' | 'retryHint' | 'spans'> & { requestIdHeader: string; account: string };
  private readonly breaker: Breaker;
  private readonly limiter: Limiter | null;
  /** The base URL's own path, which every request path is appended to. */
  private readonly basePath: string;

  constructor(opts: PipelineOptions) {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    this.o = {
      requestIdHeader: 'request-id',
      sendsIdempotencyKey: true,
      timeoutMs,
      maxRetries: 2,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      budgetMs: 2 * timeoutMs + 2_000,
      breaker: DEFAULT_BREAKER,
      rateLimit: DEFAULT_RATE_LIMIT,
      ...opts,
      account: opts.account ?? 'default',
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    };
    this.basePath = new URL(this.o.baseUrl).pathname.replace(/\/+$/, '');
    const resilience = opts.resilience ?? inMemoryResilience;
    // A second host of one account (Stripe's files API) has its own breaker and rate: `account/host`.
    const account = `${opts.account ?? 'default'}${opts.hostScope ? `/${opts.hostScope}` : ''}`;
    this.breaker = resilience.breaker(opts.provider, account, this.o.breaker);
    this.limiter = this.o.rateLimit ? resilience.limiter(opts.provider, account, this.o.rateLimit) : null;
  }

  health(): ProviderHealth {
    return this.breaker.health();
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    // A write is retried only when it carries an idempotency key: without one the provider
    // cannot tell a retry from a second request.
    const retriable = req.retry !== false && (req.method === 'GET' || req.idempotencyKey !== undefined);
    const deadline = Date.now() + this.o.budgetMs;
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      const outcome = await this.attempt(req, deadline, attempt);
      const observe = (kind: AttemptEvent['outcome']) => this.observe(req, attempt, started, outcome, kind);
      if (!(outcome instanceof ProviderError)) {
        observe('ok');
        return outcome;
      }
      const delay = outcome.retryable && retriable && attempt < this.o.maxRetries ? this.delayFor(attempt, outcome.retryAfterMs) : null;
      // The retry budget: a retry that could not finish in time is not started.
      if (delay === null || Date.now() + delay + 100 > deadline) {
        observe(outcome.providerCode === 'circuit_open' ? 'breaker_open' : outcome.providerCode === 'client_rate_limit' ? 'rate_limited' : 'error');
        throw outcome;
      }
      observe('retry');
      this.o.logger.debug('provider request retry', {
        provider: this.o.provider,
        path: req.path,
        attempt: attempt + 1,
        delayMs: delay,
        code: outcome.code,
      });
      await sleep(delay);
    }
  }

  private observe(req: HttpRequest, attempt: number, started: number, outcome: HttpResponse | ProviderError, kind: AttemptEvent['outcome']): void {
    if (!this.o.observer) return;
    const failed = outcome instanceof ProviderError ? outcome : undefined;
    try {
      this.o.observer({
        provider: this.o.provider,
        account: this.o.account,
        operation: req.operation ?? upstreamOperation(req),
        method: req.method,
        status: failed ? failed.status : (outcome as HttpResponse).status,
        outcome: kind,
        durationMs: performance.now() - started,
        attempt,
        breakerState: this.breaker.health().state,
        ...(failed && { code: failed.code }),
      });
    } catch {
      // An observer's failure never fails a request.
    }
  }

  /**
   * A GET whose 404 with one of the provider's "no such object" codes means null. Any other 404 (a
   * wrong base URL, an unknown route, a proxy's page) is not taken for an answer and still fails.
   */
  async getOrNull(path: string): Promise<HttpResponse | null> {
    try {
      return await this.send({ method: 'GET', path });
    } catch (err) {
      if (err instanceof ProviderError && isNotFound(err, this.o.notFoundCodes)) return null;
      throw err;
    }
  }

  /** One attempt: a 2xx response, or the typed failure (never throws a ProviderError). */
  private async attempt(req: HttpRequest, deadline: number, n: number): Promise<HttpResponse | ProviderError> {
    const name = providerDisplayName(this.o.provider);
    let res: HttpResponse;
    let admitted = false;
    try {
      this.breaker.admit(name);
      admitted = true;
      await this.limiter?.acquire(name, currentCaller());
      countUpstreamCall();
      res = await this.once(req, Math.max(1, Math.min(this.o.timeoutMs, deadline - Date.now())), n);
    } catch (err) {
      const reached = err instanceof ProviderError && err.providerCode !== 'circuit_open' && err.providerCode !== 'client_rate_limit';
      // Admitted but never sent (the limit refused it, or the request could not be built): a half-open probe's turn goes to the next call.
      if (admitted && !reached) this.breaker.release();
      if (!(err instanceof ProviderError)) throw err;
      if (reached) {
        if (err.code === 'PROVIDER_UNAVAILABLE') this.breaker.failure();
        else this.breaker.answered();
      }
      return err;
    }
    if (res.status >= 500) this.breaker.failure();
    else this.breaker.answered();
    return res.status >= 200 && res.status < 300 ? res : this.errorFor(res);
  }

  /** One HTTP exchange: the request as built, the whole body read, the JSON parsed. */
  private async once(req: HttpRequest, timeoutMs: number, n: number): Promise<HttpResponse> {
    const { url, headers, body } = this.build(req);
    if (!this.o.spans) return this.exchange(req, url, headers, body, timeoutMs);
    const span = this.o.spans.start(
      { provider: this.o.provider, account: this.o.account, operation: req.operation ?? upstreamOperation(req), method: req.method, url, resend: n },
      headers,
    );
    try {
      const res = await this.exchange(req, url, headers, body, timeoutMs);
      span.end(res.status);
      return res;
    } catch (err) {
      span.end((err as ProviderError).status, err);
      throw err;
    }
  }

  private async exchange(
    req: HttpRequest,
    url: string,
    headers: Record<string, string>,
    body: Dispatcher.DispatchOptions['body'],
    timeoutMs: number,
  ): Promise<HttpResponse> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: req.method, headers, body, dispatcher: this.o.dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    } catch (cause) {
      throw this.failure('PROVIDER_UNAVAILABLE', `could not be reached (${errCode(cause)})`, { providerCode: errCode(cause), retryable: true, cause });
    }
    const requestId = headerValue(res.headers[this.o.requestIdHeader]);
    let text: string;
    try {
      text = await res.body.text();
    } catch (cause) {
      throw this.failure('PROVIDER_UNAVAILABLE', `response was cut off (${errCode(cause)})`, { status: res.statusCode, requestId, retryable: true, cause });
    }
    return { status: res.statusCode, headers: res.headers, json: this.parse(res, text, requestId), requestId };
  }

  /** The URL (whose path no input can reshape), the headers and the body of one attempt. */
  private build(req: HttpRequest): { url: string; headers: Record<string, string>; body: Dispatcher.DispatchOptions['body'] } {
    const qs = req.query ? encodeForm(req.query) : '';
    const url = `${this.o.baseUrl}${req.path}${qs ? `?${qs}` : ''}`;
    // Defence in depth: no input may change the path's shape (see upstreamPath).
    if (new URL(url).pathname !== `${this.basePath}${req.path}`) {
      throw new BadUserInput('the request would change the upstream path; refused');
    }
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': GATEWAY_USER_AGENT, ...this.o.authHeaders(), ...req.headers };
    if (req.idempotencyKey !== undefined && this.o.sendsIdempotencyKey) headers['idempotency-key'] = req.idempotencyKey;
    if (req.payload) {
      const made = req.payload();
      if (made.body instanceof FormData) {
        // Encoded as the multipart stream fetch would send, boundary and all.
        const encoded = new Response(made.body);
        headers['content-type'] = encoded.headers.get('content-type')!;
        return { url, headers, body: encoded.body as unknown as Dispatcher.DispatchOptions['body'] };
      }
      const p = made as { body: AsyncIterable<Uint8Array> | Uint8Array; contentType: string; length?: number };
      headers['content-type'] = p.contentType;
      if (p.length !== undefined) headers['content-length'] = String(p.length);
      return { url, headers, body: p.body as Dispatcher.DispatchOptions['body'] };
    }
    if (req.method !== 'POST' && req.body === undefined) return { url, headers, body: undefined };
    const json = (req.encoding ?? 'form') === 'json';
    headers['content-type'] = json ? 'application/json' : 'application/x-www-form-urlencoded';
    return { url, headers, body: json ? JSON.stringify(req.body ?? {}) : encodeForm(req.body ?? {}) };
  }

  /** The body as JSON; a success must be the provider's JSON (a 200 HTML page from a proxy is not). */
  private parse(res: Dispatcher.ResponseData, text: string, requestId: string | undefined): unknown {
    const contentType = headerValue(res.headers['content-type']) ?? '';
    try {
      if (res.statusCode < 300 && text.length > 0 && !contentType.includes('json')) throw new SyntaxError(`content type ${contentType || 'missing'}`);
      return text.length === 0 ? null : JSON.parse(text);
    } catch (cause) {
      throw this.failure(res.statusCode >= 500 ? 'PROVIDER_UNAVAILABLE' : 'PROVIDER_ERROR', `answered HTTP ${res.statusCode} with a body that is not JSON`, {
        status: res.statusCode,
        providerCode: 'malformed_response',
        requestId,
        retryable: res.statusCode >= 500,
        cause,
      });
    }
  }

  private failure(
    code: ProviderErrorCode,
    what: string,
    more: { status?: number; providerCode?: string; requestId?: string; retryable: boolean; cause: unknown },
  ): ProviderError {
    return new ProviderError({ code, provider: this.o.provider, message: `${providerDisplayName(this.o.provider)} ${what}`, ...more });
  }

  private errorFor(res: HttpResponse): ProviderError {
    const name = providerDisplayName(this.o.provider);
    let info: EnvelopeInfo = {};
    try {
      info = this.o.readErrorEnvelope(res.json);
    } catch {
      // An error body we cannot read still has a status to classify by.
    }
    const code = classify(res.status);
    // The provider's own words, bounded and redacted: never more than a short, printable line.
    const said = info.message
      ? this.o.logger
          .redact(info.message)
          .replace(/[^\x20-\x7e]+/g, ' ')
          .trim()
      : '';
    const detail = said ? `: ${truncate(said, MAX_PROVIDER_MESSAGE)}` : '';
    return new ProviderError({
      code,
      provider: this.o.provider,
      message: `${name} answered HTTP ${res.status}${info.providerCode ? ` (${info.providerCode})` : ''}${detail}`,
      status: res.status,
      providerCode: info.providerCode,
      requestId: res.requestId,
      retryable: retryableStatus(res.status, this.o.retryHint?.(res.headers)),
      retryAfterMs: parseRetryAfter(headerValue(res.headers['retry-after'])),
    });
  }

  /** Null means: the provider asked us to wait longer than we are willing to; give up now. */
  private delayFor(attempt: number, retryAfterMs: number | undefined): number | null {
    if (retryAfterMs !== undefined) return retryAfterMs <= this.o.maxDelayMs ? retryAfterMs : null;
    const exp = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** attempt);
    return Math.round(exp / 2 + (Math.random() * exp) / 2);
  }
}

/**
 * A request's operation, bounded (never an id): what the path's shape says it does, unless the
 * client names it (HttpRequest.operation).
 */
export function upstreamOperation(req: Pick<HttpRequest, 'method' | 'path'>): string {
  const parts = req.path.split('/').filter(Boolean);
  const at = parts.indexOf('disputes');
  if (at < 0) return `${req.method.toLowerCase()} other`;
  const rest = parts.slice(at + 1);
  if (rest.length === 0 || rest[0] === 'list') return 'disputes.list';
  if (rest[0] === 'files') return 'disputes.files';
  if (rest.length === 1) return req.method === 'GET' ? 'disputes.retrieve' : 'disputes.update';
  if (rest[1] === 'close' || rest[1] === 'accept') return 'disputes.close';
  return `disputes.${req.method.toLowerCase()}`;
}

/** A 404 whose provider code says the object does not exist (not a wrong URL or route). */
export const isNotFound = (err: ProviderError, codes: readonly string[]): boolean =>
  err.status === 404 && err.providerCode !== undefined && codes.includes(err.providerCode);

/** 409, 429 and 5xx are worth another try, unless the provider says otherwise (its retryHint). */
export function retryableStatus(status: number, hint: boolean | undefined): boolean {
  if (hint !== undefined) return hint;
  return status === 409 || status === 429 || status >= 500;
}

export function classify(status: number): ProviderErrorCode {
  if (status === 401 || status === 403) return 'PROVIDER_AUTH_FAILED';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'PROVIDER_UNAVAILABLE';
  return 'PROVIDER_ERROR';
}

export function parseRetryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function errCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'network_error';
}

/** Longest piece of a provider's own error message passed on. */
export const MAX_PROVIDER_MESSAGE = 160;

/**
 * An upstream path with each interpolated value as exactly one path segment: percent-encoded, and
 * refused (BAD_USER_INPUT) unless it is of a provider id's form, so `.`, `..`, `/` or `%2e` can
 * never change which endpoint is called.
 */
export function upstreamPath(strings: TemplateStringsArray, ...values: string[]): string {
  let out = strings[0]!;
  values.forEach((v, i) => {
    if (!isProviderId(v)) throw new BadUserInput(`"${truncate(v)}" is not a valid provider dispute id`, 'id');
    out += encodeURIComponent(v) + strings[i + 1]!;
  });
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const newIdempotencyKey = (): string => `dg_${randomUUID()}`;

/**
 * Runs a pure transformer over a response body; a wrong shape becomes PROVIDER_ERROR naming
 * the provider and the path that did not match, never an unmasked TypeError.
 */
export function decodeUpstream<T>(provider: ProviderName, res: HttpResponse, read: (json: unknown) => T): T {
  try {
    return read(res.json);
  } catch (cause) {
    if (!(cause instanceof MalformedUpstream)) throw cause;
    throw new ProviderError({
      code: 'PROVIDER_ERROR',
      provider,
      message: `${providerDisplayName(provider)} answered with an unexpected body (${cause.message})`,
      status: res.status,
      providerCode: 'malformed_response',
      requestId: res.requestId,
      cause,
    });
  }
}
