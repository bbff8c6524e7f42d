// A fake of Afterpay's Disputes API v2: Basic merchantId:secretKey auth, a required User-Agent,
// {errorCode, errorId, message, httpStatusCode} errors, newest-first offset/limit lists with a
// total and inclusive openedAfter/openedBefore, and accept by GET or POST (sources disagree;
// `acceptMethods` narrows it to test a client's fallback).
import { randomBytes } from 'node:crypto';
import { FakeServer, type FakeRequest, type FakeResponse } from '../../../sandbox/fake-server.js';
import { FakeFiles, fileTypeOf, parseMultipart } from '../../../sandbox/files.js';
import { characterCount } from '../../../domain/dispute.js';
import type { FakeWebhookSender } from '../../../sandbox/webhooks.js';
import type { AfterpayDispute } from '../wire.js';

/** The evidence fields Afterpay's respond takes. */
const AFTERPAY_FIELDS = new Set([
  'productDescription',
  'refundPolicy',
  'refundPolicyDisclosure',
  'refundRefusalExplanation',
  'shippingDocumentation',
  'shippingAddress',
  'shippingDate',
  'shippingCarrier',
  'shippingTrackingNumber',
  'uncategorizedFile',
  'uncategorizedText',
]);
/** The fields its reference limits to 5,000 characters (the others' limits are unconfirmed). */
const MAX_5000 = new Set(['productDescription', 'shippingAddress', 'shippingDate', 'shippingCarrier']);
/** Its files: under 10 MB (413 past it), GIF, PDF, JPEG or PNG (415 otherwise). */
const MAX_FILE_BYTES = 10 * 1024 * 1024 - 1;
const isGif = (data: Buffer) => ['GIF87a', 'GIF89a'].includes(data.subarray(0, 6).toString('latin1'));

const LIST_PARAMS = new Set(['offset', 'limit', 'openedAfter', 'openedBefore', 'status', 'order', 'merchant']);
const newestFirst = (a: AfterpayDispute, b: AfterpayDispute) => Number(b.createdAt) - Number(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export interface AfterpayFakeOptions {
  acceptMethods?: ('GET' | 'POST')[];
  /** Answer single disputes as `{dispute: ...}` (Clearpay's prose) instead of the bare object. */
  wrapSingle?: boolean;
}

export class AfterpayFake {
  readonly server: FakeServer;
  private readonly disputes = new Map<string, AfterpayDispute>();
  readonly files = new FakeFiles('fi_', MAX_FILE_BYTES);
  /** GIFs it took (the shared file store knows PDF, PNG and JPEG only). */
  private readonly gifs = new Set<string>();
  private byNewest: AfterpayDispute[] = [];
  private seq = 0;
  closesExecuted = 0;
  /** Where its notices go (`{dispute_id, webhook_event_type}`, signed over the URL it was given); none until set. */
  webhooks: FakeWebhookSender | null = null;

  /** Sends Afterpay's notice of a change: the dispute's id and the kind of change, no state. */
  private announce(d: AfterpayDispute, kind: string): void {
    this.webhooks?.emit({ dispute_id: d.id, webhook_event_type: kind, event_id: `apev_${randomBytes(10).toString('hex')}` });
  }

  constructor(
    readonly merchantId: string,
    readonly secretKey: string,
    disputes: AfterpayDispute[],
    private readonly opts: AfterpayFakeOptions = {},
  ) {
    for (const d of disputes) this.disputes.set(d.id, structuredClone(d));
    this.reorder();
    this.server = new FakeServer(
      (req) => this.handle(req),
      () => ({ 'x-request-id': `ap-${(this.seq += 1)}` }),
    );
  }

  private reorder() {
    this.byNewest = [...this.disputes.values()].sort(newestFirst);
  }

  private error(status: number, errorCode: string, message: string): FakeResponse {
    return { status, body: { errorCode, errorId: `err_${(this.seq + 1).toString(36)}${randomBytes(3).toString('hex')}`, message, httpStatusCode: status } };
  }

  /** Dispute ids in the order the list serves them (newest first). */
  ordered(): string[] {
    return this.byNewest.map((d) => d.id);
  }

  all(): AfterpayDispute[] {
    return this.byNewest.map((d) => structuredClone(d));
  }

  get(id: string): AfterpayDispute | undefined {
    const d = this.disputes.get(id);
    return d && structuredClone(d);
  }

  /** A new dispute arrives (it is the newest), as between a client's pages. */
  add(d: AfterpayDispute): void {
    this.disputes.set(d.id, structuredClone(d));
    this.reorder();
  }

  async start(): Promise<string> {
    return this.server.listen();
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  private handle(req: FakeRequest): FakeResponse {
    const expected = `Basic ${Buffer.from(`${this.merchantId}:${this.secretKey}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return this.error(401, 'unauthorized', 'Invalid merchant credentials.');
    if (!req.headers['user-agent']) return this.error(400, 'invalid_request', 'A User-Agent header is required.');
    const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'v2' || parts[1] !== 'disputes') return unrouted(req);
    if (parts.length === 2 && req.method === 'GET') return this.list(req);
    if (parts.length === 3 && parts[2] === 'files' && req.method === 'POST') return this.upload(req);
    const d = parts[2] ? this.disputes.get(parts[2]) : undefined;
    if (parts.length === 3 && req.method === 'GET') return d ? this.single(d) : this.error(404, 'not_found', 'Dispute not found for this merchant.');
    if (parts.length === 3 && req.method === 'POST') return d ? this.respond(req, d) : this.error(404, 'not_found', 'Dispute not found for this merchant.');
    if (parts.length === 4 && parts[3] === 'accept') {
      const methods = this.opts.acceptMethods ?? ['GET', 'POST'];
      if (!methods.includes(req.method as 'GET' | 'POST')) return this.error(405, 'method_not_allowed', `${req.method} is not allowed here.`);
      if (!d) return this.error(404, 'not_found', 'Dispute not found for this merchant.');
      return this.accept(d);
    }
    return unrouted(req);
  }

  private single(d: AfterpayDispute): FakeResponse {
    return { status: 200, body: this.opts.wrapSingle ? { dispute: d } : d };
  }

  private list(req: FakeRequest): FakeResponse {
    for (const key of req.query.keys()) if (!LIST_PARAMS.has(key)) return this.error(400, 'invalid_request', `Unknown query parameter: ${key}`);
    const intParam = (name: string, fallback: number, max: number) => {
      const raw = req.query.get(name);
      if (raw === null) return fallback;
      return /^\d+$/.test(raw) && Number(raw) <= max ? Number(raw) : null;
    };
    const offset = intParam('offset', 0, 1_000_000);
    const limit = intParam('limit', 20, 100);
    if (offset === null) return this.error(400, 'invalid_request', 'offset must be a non-negative integer.');
    if (limit === null || limit < 1) return this.error(400, 'invalid_request', 'limit must be an integer between 1 and 100.');
    const when = (name: string): number | null | undefined => {
      const raw = req.query.get(name);
      if (raw === null) return undefined;
      const t = Date.parse(raw);
      return Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(raw) ? null : Math.floor(t / 1000);
    };
    const after = when('openedAfter');
    const before = when('openedBefore');
    if (after === null || before === null) return this.error(400, 'invalid_request', 'openedAfter and openedBefore must be ISO-8601 date-times.');
    const statuses = req.query.get('status')?.split(',');
    const matches = (d: AfterpayDispute) =>
      (after === undefined || Number(d.createdAt) >= after) &&
      (before === undefined || Number(d.createdAt) <= before) &&
      (statuses === undefined || statuses.includes(d.status));
    const all = this.byNewest.filter(matches);
    return { status: 200, body: { data: all.slice(offset, offset + limit), offset, limit, total: all.length } };
  }

  /** Evidence in response, as Afterpay documents it: its 11 fields, at least one, once, only while needs_response. */
  private respond(req: FakeRequest, d: AfterpayDispute): FakeResponse {
    let body: { evidence?: Record<string, unknown> };
    try {
      body = JSON.parse(req.body || '{}') as typeof body;
    } catch {
      return this.error(400, 'invalid_request', 'Body is not valid JSON.');
    }
    const evidence = body?.evidence;
    if (typeof evidence !== 'object' || evidence === null || Object.keys(evidence).length === 0)
      return this.error(400, 'invalid_request', 'evidence must have at least one field.');
    for (const [k, v] of Object.entries(evidence)) {
      if (!AFTERPAY_FIELDS.has(k)) return this.error(400, 'invalid_request', `Unknown evidence field: ${k}.`);
      if (typeof v !== 'string' || v.length === 0) return this.error(400, 'invalid_request', `${k} must be a non-empty string.`);
      if (MAX_5000.has(k) && characterCount(v) > 5000) return this.error(400, 'invalid_request', `${k} must be at most 5000 characters.`);
    }
    const unknownFile = ['refundPolicy', 'shippingDocumentation', 'uncategorizedFile'].find(
      (k) => typeof evidence[k] === 'string' && !this.files.has(evidence[k] as string) && !this.gifs.has(evidence[k] as string),
    );
    if (unknownFile) return this.error(400, 'file_not_found', `No such file for ${unknownFile}.`);
    if (this.evidenceReceived.has(d.id)) return this.error(409, 'evidence_already_submitted', 'Evidence was already submitted for this dispute.');
    if (d.status !== 'needs_response') return this.error(409, 'invalid_state', `Dispute is ${d.status}.`);
    this.evidenceReceived.set(d.id, evidence as Record<string, string>);
    d.status = 'under_review';
    d.updatedAt = String(Math.floor(Date.now() / 1000));
    this.announce(d, 'evidence_submitted');
    return this.single(d);
  }

  /**
   * `POST /v2/disputes/files` with `file` and `fileType=dispute_evidence`. The reference shows a JSON
   * body, a real upload is multipart: both are taken (JSON with the file as base64 in `file`).
   */
  private upload(req: FakeRequest): FakeResponse {
    let parts = parseMultipart(req);
    if (!parts) {
      try {
        const body = JSON.parse(req.body) as { file?: string; fileName?: string; fileType?: string };
        parts = [
          { name: 'fileType', filename: null, contentType: null, data: Buffer.from(body.fileType ?? '') },
          { name: 'file', filename: body.fileName ?? 'evidence', contentType: null, data: Buffer.from(body.file ?? '', 'base64') },
        ];
      } catch {
        return this.error(400, 'invalid_request', 'Send the file as multipart/form-data or JSON.');
      }
    }
    if (parts.find((p) => p.name === 'fileType')?.data.toString('utf8') !== 'dispute_evidence')
      return this.error(400, 'invalid_request', 'fileType must be dispute_evidence.');
    const file = parts.find((p) => p.name === 'file' && p.filename !== null);
    if (file && file.data.length > MAX_FILE_BYTES) return this.error(413, 'payload_too_large', 'The file must be under 10 MB.');
    if (file && isGif(file.data)) {
      const created = Math.floor(Date.now() / 1000);
      const id = `fi_${randomBytes(12).toString('hex')}`;
      this.gifs.add(id);
      return { status: 200, body: { id, createdAt: String(created), expiresAt: String(created + 90 * 86_400) } };
    }
    if (file && !fileTypeOf(file.data)) return this.error(415, 'unsupported_media_type', 'The file must be a GIF, PDF, JPEG or PNG.');
    const stored = this.files.receive(parts);
    if ('refused' in stored) return this.error(400, 'invalid_request', stored.refused);
    return { status: 200, body: { id: stored.id, createdAt: String(stored.created), expiresAt: String(stored.expiresAt) } };
  }

  /** Evidence each dispute received (once), for the tests. */
  readonly evidenceReceived = new Map<string, Record<string, string>>();

  private accept(d: AfterpayDispute): FakeResponse {
    if (d.status === 'won' || d.status === 'lost') return this.error(409, 'invalid_state', `Dispute is already ${d.status}.`);
    d.status = 'lost';
    d.open = false;
    d.closingReason = 'merchant_accepted';
    d.updatedAt = String(Math.floor(Date.now() / 1000));
    this.closesExecuted += 1;
    this.announce(d, 'closed');
    return this.single(d);
  }
}

export const sandboxAfterpayCredentials = () => ({
  merchantId: `${100000000 + randomBytes(3).readUIntBE(0, 3)}`,
  secretKey: `apsk_sandbox${randomBytes(12).toString('hex')}`,
});

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
