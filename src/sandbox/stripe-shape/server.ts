// A fake of Stripe's dispute API that speaks its wire protocol: Basic (or Bearer) auth with the
// secret key, bracketed form encoding, Stripe's error envelope, 400 on unknown parameters,
// newest-first lists with starting_after / ending_before / has_more, idempotent POSTs, state
// that changes on update and close, and the events list (GET /v1/events) of every change. An
// update is checked as strictly as Stripe's spec allows (./evidence.ts): per-field lengths, what
// cannot be unset, enhanced evidence by its programs' rules, metadata limits.
import { characterCount } from '../../domain/dispute.js';
import { createHash, randomBytes } from 'node:crypto';
import { decodeForm } from '../../providers/form.js';
import { FakeServer, type FakeRequest, type FakeResponse } from '../fake-server.js';
import { sliceByCursor } from '../list.js';
import { FakeFiles, parseMultipart } from '../files.js';
import type { FakeWebhookSender } from '../webhooks.js';
import { STRIPE_EVIDENCE_TEXT_KEYS, type StripeDispute, type StripeEvent } from '../../providers/kit/stripe-wire.js';
import { advanceDispute, FakeEventLog } from './events.js';
import { applyEvidence, applyMetadata, stripeError as error, submissionRefusal } from './evidence.js';

const LIST_PARAMS = new Set(['charge', 'payment_intent', 'created', 'limit', 'starting_after', 'ending_before', 'expand']);
const EVENT_LIST_PARAMS = new Set(['type', 'types', 'created', 'limit', 'starting_after', 'ending_before']);
const RANGE_KEYS = new Set(['gt', 'gte', 'lt', 'lte']);

const isResponse = (p: Record<string, unknown> | FakeResponse): p is FakeResponse => typeof p.status === 'number' && 'body' in p;

/** Newest first; ties on `created` ordered by id, so the order is total and stable. */
const newestFirst = (a: StripeDispute, b: StripeDispute) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

interface IdempotentRecord {
  fingerprint: string;
  response: FakeResponse;
}

/** How a Stripe-compatible provider's fake differs from Stripe's (WooshPay uses these). */
export interface StripeLikeOptions {
  /** Paths that list disputes. */
  listPaths: string[];
  /** Accept JSON request bodies (on GET too) as well as form bodies. */
  jsonBodies: boolean;
  /** Close requires `Accept` and `Content-Type: application/json`. */
  closeRequiresJsonHeaders: boolean;
  /** Statuses that close (and update) accept. */
  closable: ReadonlySet<string>;
  /** Where its events list is served (Stripe's /v1/events); null: none, the path answers 404 like any unknown one. */
  eventsPath: string | null;
  /** Whether updates take `evidence[enhanced_evidence]` (Stripe's; WooshPay shows none: an unknown parameter there). */
  enhancedEvidence: boolean;
}

const STRIPE_OPTIONS: StripeLikeOptions = {
  listPaths: ['/v1/disputes'],
  jsonBodies: false,
  closeRequiresJsonHeaders: false,
  closable: new Set(['needs_response', 'warning_needs_response']),
  eventsPath: '/v1/events',
  enhancedEvidence: true,
};

export class StripeFake {
  readonly server: FakeServer;
  private readonly disputes = new Map<string, StripeDispute>();
  /** Uploaded files (files.stripe.com/v1/files, served here too). */
  readonly files = new FakeFiles('file_');
  private byNewest: StripeDispute[] = [];
  private readonly idempotency = new Map<string, IdempotentRecord>();
  private requestSeq = 0;
  /** Closes actually carried out (idempotent replays excluded). */
  closesExecuted = 0;
  /** Where its events go (Stripe's event shape, Stripe-Signature); none until set. */
  webhooks: FakeWebhookSender | null = null;
  /** Every event it made, delivered by webhook or not: what GET /v1/events lists. */
  readonly events = new FakeEventLog();
  /** False: GET /v1/events answers 404, as a provider without an events list does (a test's switch). */
  eventsListed = true;
  /** Its clock (epoch ms), which events are dated by: a test may move it. */
  now: () => number = () => Date.now();

  private readonly opts: StripeLikeOptions;

  constructor(
    readonly secretKey: string,
    disputes: StripeDispute[],
    opts: Partial<StripeLikeOptions> = {},
  ) {
    this.opts = { ...STRIPE_OPTIONS, ...opts };
    for (const d of disputes) this.disputes.set(d.id, structuredClone(d));
    this.reorder();
    this.server = new FakeServer(
      (req) => this.handle(req),
      () => ({ 'request-id': `req_fake${String((this.requestSeq += 1)).padStart(8, '0')}` }),
    );
  }

  /** A copy of a stored dispute, as the fake would serve it. */
  get(id: string): StripeDispute | undefined {
    const d = this.disputes.get(id);
    return d && structuredClone(d);
  }

  /**
   * Changes a stored dispute in place, as the provider's own data might change (or arrive in a
   * shape it did not document): for tests of what the gateway does with it.
   */
  mutate(id: string, change: (raw: Record<string, unknown>) => void): void {
    const d = this.disputes.get(id);
    if (!d) throw new Error(`no dispute ${id}`);
    change(d as unknown as Record<string, unknown>);
    this.reorder();
  }

  /** Dispute ids in the order the list serves them (newest first). */
  ordered(): string[] {
    return this.byNewest.map((d) => d.id);
  }

  /** Every dispute, newest first. */
  all(): StripeDispute[] {
    return this.byNewest.map((d) => structuredClone(d));
  }

  /**
   * Makes a Stripe event about a dispute, as Stripe would after a change: recorded in its events
   * list, and sent as a webhook unless `webhook` is false (a missed webhook).
   */
  announce(type: string, d: StripeDispute, previous?: Record<string, unknown>, req?: FakeRequest, webhook = true): StripeEvent {
    const key = req?.headers['idempotency-key'];
    const event: StripeEvent = {
      id: `evt_${randomBytes(12).toString('hex')}`,
      object: 'event',
      api_version: '2026-07-29.dahlia',
      created: Math.floor(this.now() / 1000),
      livemode: false,
      pending_webhooks: 1,
      type,
      data: { object: structuredClone(d), ...(previous && { previous_attributes: previous }) },
      request: { id: req ? `req_fake${this.requestSeq}` : null, idempotency_key: typeof key === 'string' ? key : null },
    };
    this.events.record(event);
    if (webhook) this.webhooks?.emit(event);
    return event;
  }

  /**
   * Moves a dispute one step on as the provider would on its own (see advanceDispute) and makes
   * its event; `webhook: false` records it in the events list only (a missed webhook).
   */
  changeAtProvider(id: string, opts: { webhook?: boolean } = {}): StripeEvent {
    const d = this.disputes.get(id);
    if (!d) throw new Error(`no dispute ${id}`);
    const { type, previous } = advanceDispute(d);
    return this.announce(type, d, previous, undefined, opts.webhook ?? true);
  }

  /** Adds a dispute (a new one, opened now) and announces it. */
  add(d: StripeDispute): void {
    this.disputes.set(d.id, structuredClone(d));
    this.reorder();
    this.announce('charge.dispute.created', d);
  }

  private reorder() {
    this.byNewest = [...this.disputes.values()].sort(newestFirst);
  }

  private handle(req: FakeRequest): FakeResponse {
    const denied = this.authenticate(req);
    if (denied) return denied;
    const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && this.opts.listPaths.includes(req.path.replace(/\/$/, ''))) return this.list(req);
    if (req.method === 'GET' && this.eventsListed && this.opts.eventsPath !== null && req.path.replace(/\/$/, '') === this.opts.eventsPath)
      return this.listEvents(req);
    if (parts[0] === 'v1' && parts[1] === 'files' && parts.length === 2 && req.method === 'POST') return this.idempotent(req, () => this.upload(req));
    if (parts[0] === 'v1' && parts[1] === 'disputes') {
      if (parts.length === 3 && req.method === 'GET') return this.retrieve(req, parts[2]!);
      if (parts.length === 3 && req.method === 'POST') return this.idempotent(req, () => this.update(req, parts[2]!));
      if (parts.length === 4 && parts[3] === 'close' && req.method === 'POST') return this.idempotent(req, () => this.closeDispute(req, parts[2]!));
    }
    return error(404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${req.path}).`);
  }

  private authenticate(req: FakeRequest): FakeResponse | null {
    const header = req.headers.authorization ?? '';
    let key = '';
    if (header.startsWith('Basic ')) key = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0] ?? '';
    else if (header.startsWith('Bearer ')) key = header.slice(7);
    if (!key) {
      return error(
        401,
        'invalid_request_error',
        'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth.',
      );
    }
    if (key !== this.secretKey) {
      return error(401, 'invalid_request_error', `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`);
    }
    return null;
  }

  private params(req: FakeRequest): Record<string, unknown> | FakeResponse {
    const fromQuery = decodeForm(req.query);
    const isJson = (req.headers['content-type'] ?? '').startsWith('application/json');
    if (isJson && this.opts.jsonBodies) {
      let body: unknown = {};
      try {
        body = req.body.trim() ? JSON.parse(req.body) : {};
      } catch {
        return error(400, 'invalid_request_error', 'Invalid JSON body.');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return error(400, 'invalid_request_error', 'The JSON body must be an object.');
      // JSON numbers and booleans read as the strings a form body would carry.
      const asForm = (v: unknown): unknown =>
        typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asForm(x)])) : v === null ? '' : String(v);
      return { ...fromQuery, ...(asForm(body) as Record<string, unknown>) };
    }
    if (req.method === 'GET') return fromQuery;
    return decodeForm(req.body);
  }

  private unknownParam(params: Record<string, unknown>, allowed: Set<string>): FakeResponse | null {
    for (const key of Object.keys(params)) {
      if (!allowed.has(key)) return error(400, 'invalid_request_error', `Received unknown parameter: ${key}`, { code: 'parameter_unknown', param: key });
    }
    return null;
  }

  private list(req: FakeRequest): FakeResponse {
    const p = this.params(req);
    if (isResponse(p)) return p;
    const bad = this.unknownParam(p, LIST_PARAMS);
    if (bad) return bad;
    if (p.expand !== undefined) return error(400, 'invalid_request_error', 'This property cannot be expanded.', { param: 'expand' });

    const limit = this.limit(p);
    if (typeof limit !== 'number') return limit;
    const oneCursor = this.oneCursor(p);
    if (oneCursor) return oneCursor;
    const range = this.createdRange(p.created);
    if ('status' in range) return range;

    const matches = (d: StripeDispute) =>
      (p.charge === undefined || d.charge === p.charge) &&
      (p.payment_intent === undefined || d.payment_intent === p.payment_intent) &&
      (range.gt === undefined || d.created > range.gt) &&
      (range.gte === undefined || d.created >= range.gte) &&
      (range.lt === undefined || d.created < range.lt) &&
      (range.lte === undefined || d.created <= range.lte);

    const cursorParam = p.starting_after !== undefined ? 'starting_after' : p.ending_before !== undefined ? 'ending_before' : null;
    let anchor: StripeDispute | undefined;
    if (cursorParam) {
      const cursorId = String(p[cursorParam]);
      anchor = this.disputes.get(cursorId);
      if (!anchor) return error(400, 'invalid_request_error', `No such dispute: '${cursorId}'`, { code: 'resource_missing', param: cursorParam });
    }
    const { data, hasMore } = sliceByCursor(this.byNewest, {
      limit,
      matches,
      order: newestFirst,
      ...(anchor && { anchor: { item: anchor, direction: cursorParam === 'starting_after' ? ('after' as const) : ('before' as const) } }),
    });
    return { status: 200, body: { object: 'list', url: '/v1/disputes', has_more: hasMore, data } };
  }

  /** `limit`: 10 when absent, else an integer 1..100. */
  private limit(p: Record<string, unknown>): number | FakeResponse {
    if (p.limit === undefined) return 10;
    if (typeof p.limit !== 'string' || !/^-?\d+$/.test(p.limit))
      return error(400, 'invalid_request_error', 'Invalid integer: ' + String(p.limit), { code: 'parameter_invalid_integer', param: 'limit' });
    const limit = Number(p.limit);
    if (limit < 1 || limit > 100)
      return error(400, 'invalid_request_error', 'This value must be between 1 and 100.', { code: 'parameter_invalid_integer', param: 'limit' });
    return limit;
  }

  private oneCursor(p: Record<string, unknown>): FakeResponse | null {
    if (p.starting_after === undefined || p.ending_before === undefined) return null;
    return error(400, 'invalid_request_error', 'You may only specify one of these parameters: ending_before, starting_after.', { param: 'ending_before' });
  }

  /** `types[]` (or `types[0]`, or a JSON array) as a list of strings; `type` alone as a list of one. */
  private eventTypes(p: Record<string, unknown>): string[] | undefined | FakeResponse {
    if (p.type !== undefined && p.types !== undefined)
      return error(400, 'invalid_request_error', 'You may only specify one of these parameters: type, types.', { param: 'types' });
    if (p.type !== undefined) return typeof p.type === 'string' ? [p.type] : error(400, 'invalid_request_error', 'Invalid string', { param: 'type' });
    if (p.types === undefined) return undefined;
    const types = typeof p.types === 'object' && p.types !== null ? Object.values(p.types) : [p.types];
    if (types.some((t) => typeof t !== 'string')) return error(400, 'invalid_request_error', 'Invalid array', { param: 'types' });
    if (types.length > 20) return error(400, 'invalid_request_error', 'You may pass at most 20 types.', { param: 'types' });
    return types as string[];
  }

  /** Stripe's events list: newest first, by type, creation time and cursor, in its list envelope. */
  private listEvents(req: FakeRequest): FakeResponse {
    const p = this.params(req);
    if (isResponse(p)) return p;
    const bad = this.unknownParam(p, EVENT_LIST_PARAMS) ?? this.oneCursor(p);
    if (bad) return bad;
    const limit = this.limit(p);
    if (typeof limit !== 'number') return limit;
    const types = this.eventTypes(p);
    if (types && !Array.isArray(types)) return types;
    const created = this.createdRange(p.created);
    if ('status' in created) return created;
    const cursorParam = p.starting_after !== undefined ? 'starting_after' : p.ending_before !== undefined ? 'ending_before' : null;
    const page = this.events.page(
      {
        types,
        created,
        limit,
        ...(cursorParam && { cursor: { id: String(p[cursorParam]), direction: cursorParam === 'starting_after' ? ('after' as const) : ('before' as const) } }),
      },
      Math.floor(this.now() / 1000),
    );
    if ('missing' in page) return error(400, 'invalid_request_error', `No such event: '${page.missing}'`, { code: 'resource_missing', param: cursorParam! });
    return { status: 200, body: { object: 'list', url: this.opts.eventsPath, has_more: page.hasMore, data: page.data } };
  }

  private createdRange(v: unknown): { gt?: number; gte?: number; lt?: number; lte?: number } | FakeResponse {
    if (v === undefined) return {};
    const num = (x: unknown, param: string): number | FakeResponse =>
      typeof x === 'string' && /^\d+$/.test(x)
        ? Number(x)
        : error(400, 'invalid_request_error', `Invalid integer: ${String(x)}`, { code: 'parameter_invalid_integer', param });
    if (typeof v === 'string') {
      const n = num(v, 'created');
      return typeof n === 'number' ? { gte: n, lte: n } : n;
    }
    const out: Record<string, number> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (!RANGE_KEYS.has(k))
        return error(400, 'invalid_request_error', `Received unknown parameter: created[${k}]`, { code: 'parameter_unknown', param: `created[${k}]` });
      const n = num(x, `created[${k}]`);
      if (typeof n !== 'number') return n;
      out[k] = n;
    }
    return out;
  }

  private missing(id: string): FakeResponse {
    return error(404, 'invalid_request_error', `No such dispute: '${id}'`, { code: 'resource_missing', param: 'dispute' });
  }

  private retrieve(req: FakeRequest, id: string): FakeResponse {
    const p = this.params(req);
    if (isResponse(p)) return p;
    const bad = this.unknownParam(p, new Set(['expand']));
    if (bad) return bad;
    const d = this.disputes.get(id);
    return d ? { status: 200, body: d } : this.missing(id);
  }

  /** A file upload as Stripe's files API takes it: multipart, purpose=dispute_evidence, PDF/PNG/JPEG up to 5 MB. */
  private upload(req: FakeRequest): FakeResponse {
    const parts = parseMultipart(req);
    const purpose = parts?.find((p) => p.name === 'purpose')?.data.toString('utf8');
    if (purpose !== 'dispute_evidence') return error(400, 'invalid_request_error', 'purpose must be dispute_evidence here.', { param: 'purpose' });
    const stored = this.files.receive(parts);
    if ('refused' in stored) return error(400, 'invalid_request_error', stored.refused, { param: 'file' });
    return {
      status: 200,
      body: {
        id: stored.id,
        object: 'file',
        purpose,
        filename: stored.filename,
        size: stored.size,
        type: stored.type,
        created: stored.created,
        expires_at: stored.expiresAt,
        url: null,
      },
    };
  }

  private update(req: FakeRequest, id: string): FakeResponse {
    const p = this.params(req);
    if (isResponse(p)) return p;
    const bad = this.unknownParam(p, new Set(['evidence', 'metadata', 'submit', 'expand']));
    if (bad) return bad;
    const d = this.disputes.get(id);
    if (!d) return this.missing(id);
    if (!this.opts.closable.has(d.status)) {
      return error(400, 'invalid_request_error', `This dispute is ${d.status} and its evidence can no longer be updated.`);
    }
    if (p.submit !== undefined && p.submit !== 'true' && p.submit !== 'false')
      return error(400, 'invalid_request_error', `Invalid boolean: ${String(p.submit)}`, { param: 'submit' });
    const before = { status: d.status, evidence_details: { ...d.evidence_details } };
    // Checked on a copy and kept only when all of it is taken: a refused update changes nothing.
    const next = structuredClone(d);
    if (p.evidence !== undefined) {
      if (typeof p.evidence !== 'object' || p.evidence === null) return error(400, 'invalid_request_error', 'Invalid hash', { param: 'evidence' });
      // Since 2026-09-30 an over-long bundle (text fields combined) is refused, submit or not.
      const text = { ...d.evidence, ...(p.evidence as Record<string, unknown>) } as Record<string, unknown>;
      const total = STRIPE_EVIDENCE_TEXT_KEYS.reduce((n, k) => n + (typeof text[k] === 'string' ? characterCount(text[k] as string) : 0), 0);
      if (total > 150_000)
        return error(400, 'invalid_request_error', 'The evidence is too long to fit on the evidence pages.', {
          code: 'dispute_evidence_page_limit_exceeded',
          param: 'evidence',
        });
      const refused = applyEvidence(next, p.evidence, { enhancedEvidence: this.opts.enhancedEvidence, fileExists: (f) => this.files.has(f) });
      if (refused) return refused;
      next.evidence_details.has_evidence = true;
    }
    if (p.metadata !== undefined) {
      const refused = applyMetadata(next, p.metadata);
      if (refused) return refused;
    }
    // submit defaults to true with evidence; submit=true alone sends what is staged.
    const submit = p.submit === 'true' || (p.submit === undefined && p.evidence !== undefined);
    if (submit) {
      const refused = submissionRefusal(next);
      if (refused) return refused;
      next.evidence_details.submission_count += 1;
      next.status = next.status === 'warning_needs_response' ? 'warning_under_review' : 'under_review';
    }
    Object.assign(d, next);
    this.announce('charge.dispute.updated', d, before, req);
    return { status: 200, body: d };
  }

  private closeDispute(req: FakeRequest, id: string): FakeResponse {
    if (this.opts.closeRequiresJsonHeaders) {
      const json = (h: string | undefined) => (h ?? '').includes('application/json');
      if (!json(req.headers.accept) || !json(req.headers['content-type'])) {
        return error(400, 'invalid_request_error', 'Accept and Content-Type must be application/json.');
      }
    }
    const p = this.params(req);
    if (isResponse(p)) return p;
    const bad = this.unknownParam(p, new Set(['expand']));
    if (bad) return bad;
    const d = this.disputes.get(id);
    if (!d) return this.missing(id);
    // Stripe documents needs_response -> lost and calls closing irreversible; what it answers for
    // a dispute that is no longer open is undocumented, so the fake answers a plain 400.
    if (!this.opts.closable.has(d.status)) {
      return error(400, 'invalid_request_error', `This dispute is already ${d.status} and cannot be closed.`);
    }
    // A chargeback closed is lost; an inquiry closed is warning_closed (no funds moved).
    d.status = d.status === 'warning_needs_response' ? 'warning_closed' : 'lost';
    d.is_charge_refundable = false;
    this.closesExecuted += 1;
    this.announce('charge.dispute.closed', d, { status: d.status === 'warning_closed' ? 'warning_needs_response' : 'needs_response' }, req);
    return { status: 200, body: d };
  }

  /**
   * Stripe's idempotency: the first response to a key is saved and replayed for every request
   * with that key; the same key with other parameters is an idempotency_error.
   */
  private idempotent(req: FakeRequest, run: () => FakeResponse): FakeResponse {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string') return run();
    if (key.length > 255) return error(400, 'invalid_request_error', 'Idempotency-Key must be at most 255 characters.');
    const fingerprint = createHash('sha256').update(`${req.method} ${req.path}\n${req.body}`).digest('hex');
    const seen = this.idempotency.get(key);
    if (seen) {
      if (seen.fingerprint !== fingerprint) {
        return error(
          400,
          'idempotency_error',
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        );
      }
      return { ...seen.response, headers: { ...seen.response.headers, 'idempotent-replayed': 'true' } };
    }
    const response = run();
    this.idempotency.set(key, { fingerprint, response: structuredClone(response) });
    return response;
  }

  async start(port = 0): Promise<string> {
    return this.server.listen(port);
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}

/** A sandbox secret key, fresh per process, so nothing real is ever printed. */
export const sandboxStripeKey = (): string => `sk_test_sandbox${randomBytes(12).toString('hex')}`;
