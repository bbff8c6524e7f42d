// How to call WooshPay: Stripe-compatible paths with its own differences.
//  - List is GET /v1/disputes/list. Its docs declare the parameters as a JSON body on that GET
//    (query-string support is unconfirmed): `listParams: 'body'` (default) follows the docs,
//    `'query'` sends them Stripe's way. The fake accepts both.
//  - Close sends Accept and Content-Type: application/json, as the docs require, with a JSON body.
//  - An Idempotency-Key is sent on close: the docs' 409 "idempotent key" entry implies support.
//  - Events: nobody has confirmed WooshPay has Stripe's events list. Both readings are supported:
//    listEvents calls Stripe's path, assumed /v1/events, and a 404 or 403 there is a ProviderError
//    with that status, which the index reads as "not offered" (replay off for the account).
import type { WebhookSettings } from '../webhooks.js';
import { stripeShouldRetry } from '../kit/stripe-errors.js';
import { closeStripeStyleWithReread } from '../safe-close.js';
import { readStripeErrorEnvelope } from '../kit/stripe-errors.js';
import { stripeListPage, stripeListParams } from '../kit/stripe-shape.js';
import { STRIPE_EVIDENCE_RULES, stripeEvidenceBody } from '../kit/stripe-evidence.js';
import { evidenceFieldsOnly } from '../kit/evidence-change.js';
import { rawValuesFor } from '../kit/tables.js';
import { listStripeShapedEvents } from '../kit/stripe-events.js';
import type { Dispute, DisputeStatus, EvidenceChange } from '../../domain/dispute.js';
import { decodeUpstream, fromSettings, HttpPipeline, upstreamPath } from '../http.js';
import { CARD_CLOSABLE, CLOSED_BY_CLOSE } from '../../domain/dispute.js';
import type { PipelineSettings } from '../env.js';
import type {
  DisputeProviderClient,
  EventListQuery,
  EvidenceRules,
  ListPage,
  ListQuery,
  ProviderCapabilities,
  ProviderDeps,
  ProviderEventPage,
} from '../types.js';
import { WOOSHPAY_STATUS_MAP, wooshpayToDispute } from './transformers.js';

export interface WooshPayConfig {
  secretKey: string;
  apiBase: string;
  account: string;
  /** Webhook secrets (and the URL given to the provider, where signed); none: its endpoint answers 404. */
  webhook?: WebhookSettings;
  pipeline: PipelineSettings;
  listParams: 'body' | 'query';
  /** How an evidence update is encoded: its API intro says form bodies (default), its dispute pages JSON. */
  evidenceEncoding: 'form' | 'json';
}
/**
 * WooshPay's evidence rules: Stripe's update on its path, so Stripe's fields, staging and text
 * limits. Its docs state no limits of their own: Stripe's per-field limits (20,000 / 5,000) and
 * 150,000 in all are applied because its API mirrors Stripe's evidence hash; whether WooshPay
 * enforces them is unconfirmed (the conservative reading). No enhanced evidence: its dispute
 * object shows no enhanced_evidence or enhanced_eligibility. No metadata: whether its update takes
 * Stripe's metadata is unconfirmed. No clearing: `""` is not confirmed to clear a field at Stripe,
 * and WooshPay documents nothing of it. Files: the client uploads none (its files API is
 * undocumented); the file limits stated are Stripe's.
 */
const { enhancedPrograms: _enhanced, metadata: _metadata, fileTotals: _totals, ...STRIPE_SHARED } = STRIPE_EVIDENCE_RULES;
export const WOOSHPAY_EVIDENCE_RULES: EvidenceRules = STRIPE_SHARED;

/** WooshPay follows Stripe's error envelope: resource_missing is "no such dispute". */
export const WOOSHPAY_NOT_FOUND_CODES = ['resource_missing'] as const;

export class WooshPayClient implements DisputeProviderClient {
  readonly name = 'WOOSHPAY' as const;
  readonly account: string;
  readonly capabilities: ProviderCapabilities = {
    filters: ['charge', 'paymentIntent', 'created'],
    pagination: 'id_cursor',
    listFromEnd: false,
    closableStatuses: CARD_CLOSABLE,
    // WooshPay's spec has no Idempotency-Key: the key is sent, but never relied on (see close).
    idempotentClose: false,
    maxPageSize: 100,
    evidence: WOOSHPAY_EVIDENCE_RULES,
  };
  private readonly http: HttpPipeline;

  constructor(
    private readonly config: WooshPayConfig,
    deps: ProviderDeps,
  ) {
    this.account = config.account;
    const authorization = `Basic ${Buffer.from(`${config.secretKey}:`).toString('base64')}`;
    this.http = new HttpPipeline({
      account: config.account,
      resilience: deps.resilience,
      observer: deps.observer,
      spans: deps.spans,
      // Stripe's (and its compatible WooshPay's) own word on retrying a failed response.
      retryHint: stripeShouldRetry,
      notFoundCodes: WOOSHPAY_NOT_FOUND_CODES,
      provider: 'WOOSHPAY',
      baseUrl: config.apiBase,
      dispatcher: deps.dispatcher,
      logger: deps.logger,
      ...fromSettings(config.pipeline),
      authHeaders: () => ({ authorization }),
      readErrorEnvelope: readStripeErrorEnvelope,
    });
  }

  async list(q: ListQuery): Promise<ListPage> {
    const params = { limit: q.limit, starting_after: q.startingAfter, ending_before: q.endingBefore, ...stripeListParams(q.filter) };
    const res = await this.http.send(
      this.config.listParams === 'body'
        ? { method: 'GET', path: '/v1/disputes/list', body: params, encoding: 'json' }
        : { method: 'GET', path: '/v1/disputes/list', query: params },
    );
    return decodeUpstream('WOOSHPAY', res, (json) =>
      stripeListPage(json, (raw) => wooshpayToDispute(raw, this.account), { provider: 'WOOSHPAY', account: this.account }),
    );
  }

  /**
   * Stripe's events list on WooshPay, if it has one (unconfirmed; its path assumed Stripe's
   * /v1/events), its parameters placed as its dispute list's are. Not offered: a ProviderError
   * with status 404 (or 403), never an empty page.
   */
  async listEvents(q: EventListQuery): Promise<ProviderEventPage> {
    return listStripeShapedEvents(
      {
        provider: 'WOOSHPAY',
        account: this.account,
        http: this.http,
        toDispute: (raw) => wooshpayToDispute(raw, this.account),
        path: '/v1/events',
        params: this.config.listParams,
      },
      q,
    );
  }

  health() {
    return this.http.health();
  }

  closedByMerchant(d: Dispute): boolean {
    return CLOSED_BY_CLOSE.includes(d.status);
  }

  rawStatuses(wanted: readonly DisputeStatus[]): string[] {
    return rawValuesFor(WOOSHPAY_STATUS_MAP, wanted);
  }

  async retrieve(id: string) {
    const res = await this.http.getOrNull(upstreamPath`/v1/disputes/${id}`);
    return res && decodeUpstream('WOOSHPAY', res, (json) => wooshpayToDispute(json, this.account));
  }

  /**
   * Stripe's update on WooshPay's path. Its key replay is unconfirmed, so an update is sent once:
   * a lost answer is recovered by the gateway reading the dispute back.
   */
  async updateEvidence(id: string, u: EvidenceChange & { submit: boolean; idempotencyKey: string }) {
    const fields = { evidence: evidenceFieldsOnly('WooshPay', u) };
    const res = await this.http.send({
      method: 'POST',
      path: upstreamPath`/v1/disputes/${id}`,
      // JSON carries submit as a boolean; the form as the string Stripe's forms use.
      body: this.config.evidenceEncoding === 'json' ? { ...stripeEvidenceBody(fields, u.submit), submit: u.submit } : stripeEvidenceBody(fields, u.submit),
      encoding: this.config.evidenceEncoding,
      idempotencyKey: u.idempotencyKey,
      retry: false,
    });
    return decodeUpstream('WOOSHPAY', res, (json) => wooshpayToDispute(json, this.account));
  }

  /**
   * WooshPay documents no Idempotency-Key, so a close is treated like Flex's and Afterpay's: the
   * key is sent (should WooshPay honour it) but a failed attempt is never retried blindly; the
   * dispute is read back first, and one now closed after an attempt whose outcome is unknown is
   * counted as this close.
   */
  async close(id: string, opts: { idempotencyKey: string }) {
    return closeStripeStyleWithReread(this, this.http, id, opts.idempotencyKey, (res) =>
      decodeUpstream('WOOSHPAY', res, (json) => wooshpayToDispute(json, this.account)),
    );
  }
}
