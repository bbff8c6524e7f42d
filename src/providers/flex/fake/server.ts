// A fake of Flex's disputes API: Bearer auth with a partner key, JSON bodies, `{dispute}` and
// `{disputes}` envelopes, `{error:{code,message}}` errors, most recent first with Stripe-style
// starting_after / ending_before, evidence only with expand=evidence, balance transactions and
// payment method details only on the single GET, and no `has_more` (as its reference shows;
// `withHasMore` adds it, for the other reading).
import { randomBytes } from 'node:crypto';
import { FakeServer, type FakeRequest, type FakeResponse } from '../../../sandbox/fake-server.js';
import { sliceByCursor } from '../../../sandbox/list.js';
import { FakeFiles, parseMultipart } from '../../../sandbox/files.js';
import type { FakeWebhookSender } from '../../../sandbox/webhooks.js';
import { FLEX_EVIDENCE_FILE_KEYS, type FlexDispute } from '../wire.js';

const FILE_KEYS = new Set<string>(FLEX_EVIDENCE_FILE_KEYS);

const error = (status: number, code: string, message: string): FakeResponse => ({ status, body: { error: { code, message } } });
const LIST_PARAMS = new Set(['limit', 'starting_after', 'ending_before', 'charge', 'payment_intent', 'statuses', 'expand']);
const CLOSABLE = new Set(['needs_response', 'warning_needs_response']);
const newestFirst = (a: FlexDispute, b: FlexDispute) =>
  Date.parse(b.created_at) - Date.parse(a.created_at) || (a.dispute_id < b.dispute_id ? 1 : a.dispute_id > b.dispute_id ? -1 : 0);

export class FlexFake {
  readonly server: FakeServer;
  private readonly disputes = new Map<string, FlexDispute>();
  readonly files = new FakeFiles('ff_');
  private byNewest: FlexDispute[];
  private seq = 0;
  closesExecuted = 0;
  /** Where its events go (Svix-signed `{event_dt, event_id, event_type, object}`); none until set. */
  webhooks: FakeWebhookSender | null = null;

  /** Sends a Flex event about a dispute (a new Svix message id each; redeliveries keep theirs). */
  announce(type: string, d: FlexDispute): void {
    this.webhooks?.emit({
      event_dt: Math.floor(Date.now() / 1000),
      event_id: `fevt_${randomBytes(10).toString('hex')}`,
      event_type: type,
      object: structuredClone(d),
    });
  }

  constructor(
    readonly apiKey: string,
    disputes: FlexDispute[],
    private readonly opts: { withHasMore?: boolean } = {},
  ) {
    for (const d of disputes) this.disputes.set(d.dispute_id, structuredClone(d));
    this.byNewest = [...this.disputes.values()].sort(newestFirst);
    this.server = new FakeServer(
      (req) => this.handle(req),
      () => ({ 'x-request-id': `flexreq_${(this.seq += 1)}` }),
    );
  }

  /** Dispute ids in the order the list serves them (newest first). */
  ordered(): string[] {
    return this.byNewest.map((d) => d.dispute_id);
  }

  all(): FlexDispute[] {
    return this.byNewest.map((d) => structuredClone(d));
  }

  get(id: string): FlexDispute | undefined {
    const d = this.disputes.get(id);
    return d && structuredClone(d);
  }

  async start(): Promise<string> {
    return this.server.listen();
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  private handle(req: FakeRequest): FakeResponse {
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return error(401, 'unauthorized', 'Invalid or missing API key.');
    const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'v1' && parts[1] === 'files' && parts.length === 2 && req.method === 'POST') return this.upload(req);
    if (parts[0] !== 'v1' || parts[1] !== 'disputes') return unrouted(req);
    if (req.method === 'POST' && !(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return error(415, 'invalid_request', 'Content-Type must be application/json.');
    }
    if (parts.length === 2 && req.method === 'GET') return this.list(req);
    const d = parts[2] ? this.disputes.get(parts[2]) : undefined;
    // Partner-scoped keys: an unknown id and another partner's id look the same.
    if (parts.length >= 3 && !d) return error(404, 'not_found', 'Dispute not found.');
    if (parts.length === 3 && req.method === 'GET') return { status: 200, body: { dispute: d } };
    if (parts.length === 3 && req.method === 'POST') return this.update(req, d!);
    if (parts.length === 4 && parts[3] === 'close' && req.method === 'POST') return this.closeDispute(d!);
    return unrouted(req);
  }

  private list(req: FakeRequest): FakeResponse {
    for (const key of req.query.keys()) if (!LIST_PARAMS.has(key)) return error(400, 'invalid_request', `Unknown parameter: ${key}`);
    const q = (k: string) => req.query.get(k) ?? undefined;
    const limitRaw = q('limit') ?? '20';
    if (!/^\d+$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > 100)
      return error(400, 'invalid_request', 'limit must be an integer between 1 and 100.');
    const limit = Number(limitRaw);
    const after = q('starting_after');
    const before = q('ending_before');
    if (after && before) return error(400, 'invalid_request', 'starting_after and ending_before are mutually exclusive.');
    const expand = q('expand');
    if (expand !== undefined && expand !== 'evidence') return error(400, 'invalid_request', `Cannot expand ${expand}.`);
    const statuses = q('statuses')?.split(',');
    const matches = (d: FlexDispute) =>
      (q('charge') === undefined || d.charge_id === q('charge')) &&
      (q('payment_intent') === undefined || d.payment_intent_id === q('payment_intent')) &&
      (statuses === undefined || statuses.includes(d.status));
    const anchorId = after ?? before;
    const anchor = anchorId ? this.disputes.get(anchorId) : undefined;
    if (anchorId && !anchor) return error(400, 'invalid_request', `No such dispute: ${anchorId}`);
    const { data, hasMore: more } = sliceByCursor(this.byNewest, {
      limit,
      matches,
      order: newestFirst,
      ...(anchor && { anchor: { item: anchor, direction: after ? ('after' as const) : ('before' as const) } }),
    });
    const listed = data.map(({ balance_transactions: _b, payment_method_details: _p, evidence, ...rest }) =>
      expand === 'evidence' ? { ...rest, evidence } : rest,
    );
    return { status: 200, body: { disputes: listed, ...(this.opts.withHasMore && { has_more: more }) } };
  }

  private parse(req: FakeRequest): Record<string, unknown> | FakeResponse {
    try {
      const body = req.body.trim() ? JSON.parse(req.body) : {};
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return error(400, 'invalid_request', 'Body must be a JSON object.');
      return body as Record<string, unknown>;
    } catch {
      return error(400, 'invalid_request', 'Body is not valid JSON.');
    }
  }

  /** `POST /v1/files`: multipart, purpose=dispute_evidence, JPEG, PNG or PDF up to 5 MB. */
  private upload(req: FakeRequest): FakeResponse {
    const parts = parseMultipart(req);
    if (parts?.find((p) => p.name === 'purpose')?.data.toString('utf8') !== 'dispute_evidence')
      return error(400, 'invalid_request', 'purpose must be dispute_evidence.');
    const stored = this.files.receive(parts);
    if ('refused' in stored) return error(400, 'invalid_request', stored.refused);
    const iso = (s: number) => new Date(s * 1000).toISOString();
    return {
      status: 200,
      body: {
        file: {
          file_id: stored.id,
          purpose: 'dispute_evidence',
          filename: stored.filename,
          size: stored.size,
          type: stored.type,
          created_at: iso(stored.created),
          expires_at: iso(stored.expiresAt),
        },
      },
    };
  }

  private update(req: FakeRequest, d: FlexDispute): FakeResponse {
    const body = this.parse(req);
    if ('status' in body && typeof body.status === 'number') return body as FakeResponse;
    const input = (body as { dispute?: { evidence?: Record<string, string>; submit?: boolean } }).dispute;
    if (!input || typeof input !== 'object') return error(400, 'invalid_request', 'Expected {"dispute": {...}}.');
    if (!CLOSABLE.has(d.status)) return error(400, 'invalid_request', `Evidence cannot be updated in status ${d.status}.`);
    for (const [k, v] of Object.entries(input.evidence ?? {})) {
      if (!d.evidence || !(k in d.evidence)) return error(400, 'invalid_request', `Unknown evidence field: ${k}`);
      if (FILE_KEYS.has(k) && v !== '' && !this.files.has(v)) return error(400, 'file_not_found', `No such file: ${v}`);
      // File fields take a Flex file id; an empty string clears a field.
      d.evidence[k] = v === '' ? null : FILE_KEYS.has(k) ? { file_id: v, filename: `${v}.pdf` } : v;
    }
    d.evidence_details.has_evidence = true;
    if (input.submit) {
      d.evidence_details.submission_count += 1;
      d.status = d.status === 'warning_needs_response' ? 'warning_under_review' : 'under_review';
    }
    this.announce('charge.dispute.updated', d);
    return { status: 200, body: { dispute: d } };
  }

  private closeDispute(d: FlexDispute): FakeResponse {
    if (!CLOSABLE.has(d.status)) return error(400, 'invalid_request', `Dispute cannot be closed in status ${d.status}.`);
    d.status = d.status === 'warning_needs_response' ? 'warning_closed' : 'lost';
    d.is_charge_refundable = false;
    this.closesExecuted += 1;
    this.announce('charge.dispute.closed', d);
    return { status: 200, body: { dispute: d } };
  }
}

export const sandboxFlexKey = (): string => `fsk_test_sandbox${randomBytes(12).toString('hex')}`;

/**
 * A path the API does not serve: answered as the edge in front of it does, with a plain HTML 404,
 * not the API's own error envelope (which means "no such dispute").
 */
function unrouted(req: FakeRequest): FakeResponse {
  return {
    status: 404,
    body: `<html><body><h1>404 Not Found</h1><p>${req.method} ${req.path.replace(/[<>&]/g, '')}</p></body></html>`,
    headers: { 'content-type': 'text/html' },
  };
}
