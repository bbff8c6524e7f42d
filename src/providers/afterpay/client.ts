// How to call Afterpay's Disputes API v2.
//
// Paging: Afterpay lists by offset/limit with a total. A cursor position is `offset:total:id`:
// the dispute's offset and the list's total when it was read, and its id as an anchor. Each page
// reads one extra item, the anchor itself, to check the list has not moved. When disputes arrived
// (or went) between pages the anchor is elsewhere: the client finds it (in the window read, else
// where the change in total puts it) and reads again from there, so a walk neither repeats nor
// skips a dispute. That costs a second call only on the pages where the list moved.
//
// Close is Afterpay's accept. Sources disagree on its method (Clearpay's guide: POST; Afterpay's
// reference and Cash App's example: GET). The client sends POST, as a state change should be, and
// falls back to GET on 404/405. Afterpay has no idempotency key, so accept is never retried blindly:
// after a failure the dispute is read again, and an accept that took effect counts as done.
import type { WebhookSettings } from '../webhooks.js';
import { fileForm, obj, readListed, str } from '../wire.js';
import { BadUserInput, ProviderError } from '../../domain/errors.js';
import { isProviderId } from '../../domain/ids.js';
import { decodeUpstream, fromSettings, HttpPipeline, type HttpRequest, upstreamPath } from '../http.js';
import type { PipelineSettings } from '../env.js';
import type { DisputeProviderClient, EvidenceUpload, ListPage, ListQuery, ProviderCapabilities, ProviderDeps } from '../types.js';
import { readAfterpayErrorEnvelope } from './errors.js';
import { closeWithReread } from '../safe-close.js';
import {
  readAfterpayFile,
  AFTERPAY_EVIDENCE_RULES,
  AFTERPAY_STATUS_MAP,
  afterpayOpenedRange,
  afterpayToDispute,
  readAfterpayList,
  unwrapAfterpayDispute,
  withEvidenceSent,
  afterpayExtras,
} from './transformers.js';
import { rawValuesFor } from '../kit/tables.js';
import type { Dispute, DisputeStatus, EvidenceChange } from '../../domain/dispute.js';
import { evidenceFieldsOnly } from '../kit/evidence-change.js';

export interface AfterpayConfig {
  merchantId: string;
  secretKey: string;
  apiBase: string;
  userAgent: string;
  account: string;
  /** Webhook secrets (and the URL given to the provider, where signed); none: its endpoint answers 404. */
  webhook?: WebhookSettings;
  pipeline: PipelineSettings;
  /** Used when a dispute carries no currency of its own (only Clearpay documents one). */
  currency: string;
  livemode: boolean;
  acceptMethod: 'POST' | 'GET';
}

interface Position {
  offset: number;
  total: number;
  id: string;
}

export function encodePosition(p: Position): string {
  return `${p.offset}:${p.total}:${p.id}`;
}

export function decodePosition(s: string): Position {
  const m = /^(\d{1,9}):(\d{1,9}):(.{1,255})$/.exec(s);
  if (!m || !isProviderId(m[3])) throw new BadUserInput('not an Afterpay list position');
  return { offset: Number(m[1]), total: Number(m[2]), id: m[3]! };
}
/** Whether a User-Agent ends with a URL, as Afterpay's documented form `… (…; Merchant/id) https://merchant.example.com` does. */
export const endsWithUrl = (userAgent: string): boolean => /\shttps?:\/\/\S+$/.test(userAgent);

/** Afterpay's 404 "not found for this merchant" carries errorCode not_found. */
export const AFTERPAY_NOT_FOUND_CODES = ['not_found'] as const;

export class AfterpayClient implements DisputeProviderClient {
  readonly name = 'AFTERPAY' as const;
  readonly account: string;
  readonly capabilities: ProviderCapabilities = {
    filters: ['created', 'status'],
    pagination: 'offset',
    listFromEnd: true,
    // "Only works if the dispute is in a non-terminal state (not won or lost)."
    closableStatuses: ['NEEDS_RESPONSE', 'UNDER_REVIEW'],
    // Its `status` parameter is documented with one value; several are filtered in the gateway.
    statusFilter: 'one',
    // Afterpay disputes are about orders: they have no charge or payment intent.
    absentFields: ['charge', 'paymentIntent'],
    idempotentClose: false,
    merchantCloseVisible: true,
    maxPageSize: 100,
    evidence: AFTERPAY_EVIDENCE_RULES,
  };
  private readonly http: HttpPipeline;

  constructor(
    private readonly config: AfterpayConfig,
    deps: ProviderDeps,
  ) {
    this.account = config.account;
    // Afterpay documents the User-Agent as ending with the merchant's site; without one the header
    // is sent all the same (its other parts are), said once here so an operator can add it.
    if (!endsWithUrl(config.userAgent)) {
      deps.logger.warn('Afterpay User-Agent has no merchant URL at its end: set AFTERPAY_MERCHANT_URL (merchantUrl) to the merchant site', {
        provider: 'AFTERPAY',
        account: config.account,
        userAgent: config.userAgent,
      });
    }
    const authorization = `Basic ${Buffer.from(`${config.merchantId}:${config.secretKey}`).toString('base64')}`;
    this.http = new HttpPipeline({
      account: config.account,
      resilience: deps.resilience,
      observer: deps.observer,
      spans: deps.spans,
      notFoundCodes: AFTERPAY_NOT_FOUND_CODES,
      provider: 'AFTERPAY',
      baseUrl: config.apiBase,
      dispatcher: deps.dispatcher,
      logger: deps.logger,
      ...fromSettings(config.pipeline),
      authHeaders: () => ({ authorization, 'user-agent': config.userAgent }),
      readErrorEnvelope: readAfterpayErrorEnvelope,
      requestIdHeader: 'x-request-id',
      sendsIdempotencyKey: false,
    });
  }

  private toDispute = (json: unknown, path?: string) =>
    afterpayToDispute(json, this.account, { currency: this.config.currency, livemode: this.config.livemode }, path);

  private async window(q: ListQuery, offset: number, limit: number) {
    const res = await this.http.send({
      method: 'GET',
      path: '/v2/disputes',
      query: { offset, limit, status: q.filter.statuses?.join(','), ...afterpayOpenedRange(q.filter.created) },
    });
    return decodeUpstream('AFTERPAY', res, (json) => {
      const list = readAfterpayList(json);
      const locate = (raw: unknown) => {
        const o = obj(raw, 'dispute');
        return { id: str(o.id, 'dispute.id'), created: new Date(Number(str(o.createdAt, 'dispute.createdAt')) * 1000) };
      };
      const disputes = readListed(list.data, (d, i) => this.toDispute(d, `body.data[${i}]`), locate, { provider: 'AFTERPAY', account: this.account });
      return { disputes, total: list.total };
    });
  }

  private page(disputes: ReturnType<AfterpayClient['toDispute']>[], firstOffset: number, total: number) {
    return disputes.map((dispute, i) => ({ dispute, position: encodePosition({ offset: firstOffset + i, total, id: dispute.providerDisputeId }) }));
  }

  async list(q: ListQuery): Promise<ListPage> {
    if (q.fromEnd) {
      const head = await this.window(q, 0, q.limit);
      if (head.total <= q.limit) return { items: this.page(head.disputes, 0, head.total), hasMore: false, hasNewer: false, total: head.total };
      const start = head.total - q.limit;
      const tail = await this.window(q, start, q.limit);
      return { items: this.page(tail.disputes, start, tail.total), hasMore: false, hasNewer: start > 0, total: tail.total };
    }
    const anchorRaw = q.startingAfter ?? q.endingBefore ?? q.endingAt;
    if (anchorRaw === undefined) {
      const w = await this.window(q, 0, q.limit);
      return { items: this.page(w.disputes, 0, w.total), hasMore: w.disputes.length < w.total, total: w.total };
    }
    let anchor: Position;
    try {
      anchor = decodePosition(anchorRaw);
    } catch {
      // Positions come from the gateway's own (signed) cursors: a malformed one is the caller's input.
      throw new BadUserInput('the cursor holds a malformed Afterpay list position');
    }
    // Anchored reads include the anchor, so they return at most one less than Afterpay's maximum.
    const within = { ...q, limit: Math.min(q.limit, this.capabilities.maxPageSize - 1) };
    return q.startingAfter !== undefined ? this.older(within, anchor) : this.newer(within, anchor, q.endingAt !== undefined);
  }

  /** The page after the anchor: read from the anchor itself, one more than the page. */
  private async older(q: ListQuery, anchor: Position): Promise<ListPage> {
    let at = anchor.offset;
    let w = await this.window(q, at, q.limit + 1);
    if (w.disputes[0]?.providerDisputeId !== anchor.id) {
      const found = w.disputes.findIndex((d) => d.providerDisputeId === anchor.id);
      at = Math.max(0, found >= 0 ? at + found : at + (w.total - anchor.total));
      w = await this.window(q, at, q.limit + 1);
    }
    // If the anchor is gone altogether, the page starts where it would have been.
    const rest = w.disputes[0]?.providerDisputeId === anchor.id ? w.disputes.slice(1) : w.disputes.slice(0, q.limit);
    const first = w.disputes[0]?.providerDisputeId === anchor.id ? at + 1 : at;
    return { items: this.page(rest, first, w.total), hasMore: first + rest.length < w.total, total: w.total };
  }

  /** The page before the anchor (newer), nearest last: read up to and including the anchor. */
  private async newer(q: ListQuery, anchor: Position, inclusive: boolean): Promise<ListPage> {
    const read = async (at: number) => {
      const start = Math.max(0, at - q.limit);
      return { start, w: await this.window(q, start, at - start + 1) };
    };
    let at = anchor.offset;
    let { start, w } = await read(at);
    if (w.disputes.at(-1)?.providerDisputeId !== anchor.id) {
      const found = w.disputes.findIndex((d) => d.providerDisputeId === anchor.id);
      at = Math.max(0, found >= 0 ? start + found : at + (w.total - anchor.total));
      ({ start, w } = await read(at));
    }
    // The window ends at the anchor's offset: with the anchor there, or (if it is gone) with the
    // dispute that moved up into its place, which is older. Either way the page is what precedes it.
    const aligned = w.disputes.at(-1)?.providerDisputeId === anchor.id;
    const items = w.disputes.slice(0, Math.max(0, at - start) + (inclusive && aligned ? 1 : 0));
    // Inclusive reads keep `limit` items: the anchor plus the limit - 1 before it.
    const kept = inclusive && items.length > q.limit ? items.slice(items.length - q.limit) : items;
    const first = start + items.length - kept.length;
    return { items: this.page(kept, first, w.total), hasMore: first > 0, total: w.total };
  }

  isPosition(position: string): boolean {
    try {
      decodePosition(position);
      return true;
    } catch {
      return false;
    }
  }

  health() {
    return this.http.health();
  }

  closedByMerchant(d: Dispute): boolean {
    return d.status === 'LOST' && afterpayExtras(d).closingReason === 'merchant_accepted';
  }

  rawStatuses(wanted: readonly DisputeStatus[]): string[] {
    return rawValuesFor(AFTERPAY_STATUS_MAP, wanted);
  }

  async retrieve(id: string) {
    const res = await this.http.getOrNull(upstreamPath`/v2/disputes/${id}`);
    return res && decodeUpstream('AFTERPAY', res, (json) => this.toDispute(unwrapAfterpayDispute(json)));
  }

  /**
   * Afterpay's respond: `{"evidence":{…its 11 fields}}`, once only, no staging (the gateway refuses
   * both before sending). Afterpay returns no evidence on a dispute, so the answer carries what was
   * sent. Sent once; a lost answer is recovered by reading back (the dispute is then under review).
   */
  async updateEvidence(id: string, u: EvidenceChange & { submit: boolean; idempotencyKey: string }) {
    const fields = evidenceFieldsOnly('Afterpay', u);
    const evidence = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
    const res = await this.http.send({ method: 'POST', path: upstreamPath`/v2/disputes/${id}`, body: { evidence }, encoding: 'json', retry: false });
    const d = decodeUpstream('AFTERPAY', res, (json) => this.toDispute(unwrapAfterpayDispute(json)));
    return withEvidenceSent(d, fields);
  }

  /**
   * `POST /v2/disputes/files` with `file` and `fileType=dispute_evidence` → `{id, createdAt, expiresAt}`.
   * The reference shows JSON but a file needs a multipart body: multipart is sent (the fake takes both). Sent once.
   */
  async uploadFile(file: EvidenceUpload, _opts: { idempotencyKey: string }) {
    const res = await this.http.send({
      method: 'POST',
      path: '/v2/disputes/files',
      payload: () => fileForm(file, { fileType: 'dispute_evidence' }),
      retry: false,
    });
    return decodeUpstream('AFTERPAY', res, (json) => readAfterpayFile(json, file));
  }

  async close(id: string, _opts: { idempotencyKey: string }) {
    return closeWithReread({
      attempt: () => this.accept(id),
      reread: () => this.retrieve(id),
      closed: (d) => this.closedByMerchant(d),
      closable: (d) => this.capabilities.closableStatuses.includes(d.status),
    });
  }

  private async accept(id: string) {
    const req = (method: 'POST' | 'GET'): HttpRequest => ({
      method,
      path: upstreamPath`/v2/disputes/${id}/accept`,
      ...(method === 'POST' && { body: {}, encoding: 'json' as const }),
      retry: false,
    });
    const first = this.config.acceptMethod;
    let res;
    try {
      res = await this.http.send(req(first));
    } catch (err) {
      if (!(err instanceof ProviderError) || (err.status !== 404 && err.status !== 405)) throw err;
      // 404 may also mean "no such dispute": the other method answers that the same way.
      res = await this.http.send(req(first === 'POST' ? 'GET' : 'POST'));
    }
    return decodeUpstream('AFTERPAY', res, (json) => this.toDispute(unwrapAfterpayDispute(json)));
  }
}
