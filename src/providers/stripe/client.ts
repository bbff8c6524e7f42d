// How to call Stripe: paths, parameters, auth. Shapes are read by the kit's Stripe-shaped reader (../kit/stripe-shape.ts).
import type { WebhookSettings } from '../webhooks.js';
import { readStripeErrorEnvelope, stripeShouldRetry } from '../kit/stripe-errors.js';
import { decodeUpstream, fromSettings, HttpPipeline, upstreamPath } from '../http.js';
import { fileForm } from '../wire.js';
import { CARD_CLOSABLE, CLOSED_BY_CLOSE } from '../../domain/dispute.js';
import type { PipelineSettings } from '../env.js';
import type {
  DisputeProviderClient,
  EventListQuery,
  EvidenceUpload,
  ListPage,
  ListQuery,
  ProviderCapabilities,
  ProviderDeps,
  ProviderEventPage,
} from '../types.js';
import { readStripeFile, STRIPE_STATUS_MAP, stripeListPage, stripeListParams } from '../kit/stripe-shape.js';
import { STRIPE_EVIDENCE_RULES, stripeEvidenceBody } from '../kit/stripe-evidence.js';
import { rawValuesFor } from '../kit/tables.js';
import { listStripeShapedEvents } from '../kit/stripe-events.js';
import { stripeToDispute } from './transformers.js';
import type { Dispute, DisputeStatus, EvidenceChange } from '../../domain/dispute.js';

export interface StripeConfig {
  secretKey: string;
  apiBase: string;
  /** Where files are uploaded (files.stripe.com). */
  filesApiBase: string;
  /** Sent as Stripe-Version on every request. */
  apiVersion: string;
  /** Connect: the connected account acted for, sent as Stripe-Account on every request. */
  stripeAccount?: string;
  account: string;
  /** Webhook secrets (and the URL given to the provider, where signed); none: its endpoint answers 404. */
  webhook?: WebhookSettings;
  pipeline: PipelineSettings;
}
/** Stripe's 404 for a dispute that does not exist; an unknown URL is a 404 without this code. */
export const STRIPE_NOT_FOUND_CODES = ['resource_missing'] as const;

export class StripeClient implements DisputeProviderClient {
  readonly name = 'STRIPE' as const;
  readonly account: string;
  readonly apiVersion: string;
  readonly capabilities: ProviderCapabilities = {
    filters: ['charge', 'paymentIntent', 'created'],
    pagination: 'id_cursor',
    listFromEnd: false,
    closableStatuses: CARD_CLOSABLE,
    idempotentClose: true,
    maxPageSize: 100,
    evidence: STRIPE_EVIDENCE_RULES,
  };
  private readonly http: HttpPipeline;
  private readonly files: HttpPipeline;

  constructor(config: StripeConfig, deps: ProviderDeps) {
    this.account = config.account;
    this.apiVersion = config.apiVersion;
    // Basic auth with the secret key as the user name and an empty password, as Stripe documents.
    const authorization = `Basic ${Buffer.from(`${config.secretKey}:`).toString('base64')}`;
    const pipeline = (baseUrl: string, hostScope?: string) =>
      new HttpPipeline({
        hostScope,
        account: config.account,
        resilience: deps.resilience,
        observer: deps.observer,
        spans: deps.spans,
        // Stripe's (and its compatible WooshPay's) own word on retrying a failed response.
        retryHint: stripeShouldRetry,
        notFoundCodes: STRIPE_NOT_FOUND_CODES,
        provider: 'STRIPE',
        baseUrl,
        dispatcher: deps.dispatcher,
        logger: deps.logger,
        ...fromSettings(config.pipeline, hostScope === 'files' ? 20 : undefined),
        authHeaders: () => ({ authorization, 'stripe-version': config.apiVersion, ...(config.stripeAccount && { 'stripe-account': config.stripeAccount }) }),
        readErrorEnvelope: readStripeErrorEnvelope,
        requestIdHeader: 'request-id',
      });
    this.http = pipeline(config.apiBase);
    // Stripe's files API is another host with its own limit (20 writes a second).
    this.files = pipeline(config.filesApiBase, 'files');
  }

  /** `POST files.stripe.com/v1/files`, multipart with `purpose=dispute_evidence`; retried with its key (Stripe replays). */
  async uploadFile(file: EvidenceUpload, opts: { idempotencyKey: string }) {
    const res = await this.files.send({
      method: 'POST',
      path: '/v1/files',
      payload: () => fileForm(file, { purpose: 'dispute_evidence' }),
      idempotencyKey: opts.idempotencyKey,
    });
    return decodeUpstream('STRIPE', res, readStripeFile);
  }

  async list(q: ListQuery): Promise<ListPage> {
    const res = await this.http.send({
      method: 'GET',
      path: '/v1/disputes',
      query: {
        limit: q.limit,
        starting_after: q.startingAfter,
        ending_before: q.endingBefore,
        ...stripeListParams(q.filter),
      },
    });
    return decodeUpstream('STRIPE', res, (json) =>
      stripeListPage(json, (raw) => stripeToDispute(raw, this.account), { provider: 'STRIPE', account: this.account }),
    );
  }

  /** `GET /v1/events`, the dispute events only (Stripe keeps 30 days of them), read as its list reads a dispute. */
  async listEvents(q: EventListQuery): Promise<ProviderEventPage> {
    return listStripeShapedEvents(
      {
        provider: 'STRIPE',
        account: this.account,
        http: this.http,
        toDispute: (raw) => stripeToDispute(raw, this.account),
        path: '/v1/events',
        params: 'query',
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
    return rawValuesFor(STRIPE_STATUS_MAP, wanted);
  }

  async retrieve(id: string) {
    const res = await this.http.getOrNull(upstreamPath`/v1/disputes/${id}`);
    return res && decodeUpstream('STRIPE', res, (json) => stripeToDispute(json, this.account));
  }

  /**
   * Fields, enhanced evidence (`evidence[enhanced_evidence][…]`) and metadata (`metadata[…]`) in one
   * form. Stripe replays a key, so an update is retried with its key like any POST.
   */
  async updateEvidence(id: string, u: EvidenceChange & { submit: boolean; idempotencyKey: string }) {
    const res = await this.http.send({
      method: 'POST',
      path: upstreamPath`/v1/disputes/${id}`,
      body: stripeEvidenceBody(u, u.submit),
      encoding: 'form',
      idempotencyKey: u.idempotencyKey,
    });
    return decodeUpstream('STRIPE', res, (json) => stripeToDispute(json, this.account));
  }

  async close(id: string, opts: { idempotencyKey: string; retry?: boolean }) {
    const res = await this.http.send({
      method: 'POST',
      path: upstreamPath`/v1/disputes/${id}/close`,
      body: {},
      encoding: 'form',
      idempotencyKey: opts.idempotencyKey,
      retry: opts.retry,
    });
    return decodeUpstream('STRIPE', res, (json) => stripeToDispute(json, this.account));
  }
}
