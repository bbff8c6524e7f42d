// How to call Flex: Bearer auth, JSON bodies, `{dispute}` / `{disputes}` envelopes.
// Its list reference shows no `has_more`, so the client asks for one more than the page needs
// and reads a next page from the extra item; where Flex does send `has_more`, that is used.
// Flex caps `limit` at 100, so a page of 100 learns whether more exist with one probe of limit 1.
import type { WebhookSettings } from '../webhooks.js';
import { fileForm, obj, readListed, str } from '../wire.js';
import { decodeUpstream, fromSettings, HttpPipeline, upstreamPath } from '../http.js';
import { CARD_CLOSABLE, CLOSED_BY_CLOSE, EVIDENCE_FIELDS } from '../../domain/dispute.js';
import type { PipelineSettings } from '../env.js';
import type { DisputeProviderClient, EvidenceRules, EvidenceUpload, ListPage, ListQuery, ProviderCapabilities, ProviderDeps } from '../types.js';
import { readFlexErrorEnvelope } from './errors.js';
import { closeStripeStyleWithReread } from '../safe-close.js';
import { flexToDispute, readFlexEnvelope, readFlexFile, readFlexList } from './transformers.js';
import { STRIPE_STATUS_MAP } from '../kit/stripe-shape.js';
import { STRIPE_FIELD_MAX_CHARACTERS, stripeEvidenceKey } from '../kit/stripe-evidence.js';
import { evidenceFieldsOnly } from '../kit/evidence-change.js';
import { rawValuesFor } from '../kit/tables.js';
import type { Dispute, DisputeStatus, EvidenceChange } from '../../domain/dispute.js';

export interface FlexConfig {
  apiKey: string;
  apiBase: string;
  account: string;
  /** Webhook secrets (and the URL given to the provider, where signed); none: its endpoint answers 404. */
  webhook?: WebhookSettings;
  pipeline: PipelineSettings;
  /**
   * Whether evidence may be submitted again before the deadline. Flex's API reference says
   * submitted evidence cannot be edited (false, the default); its guide says one may re-submit
   * (FLEX_EVIDENCE_RESUBMISSION=true).
   */
  resubmission: boolean;
}

const FLEX_MAX_LIMIT = 100;
/**
 * Flex documents a 404 for an unknown (or another partner's) dispute but not its error code; the
 * envelope's `not_found` is taken as "no such dispute", and Stripe's `resource_missing` too (Flex
 * maps to Stripe's objects). Any other 404 is a failure naming Flex.
 */
export const FLEX_NOT_FOUND_CODES = ['not_found', 'resource_missing'] as const;

export class FlexClient implements DisputeProviderClient {
  readonly name = 'FLEX' as const;
  readonly account: string;
  readonly capabilities: ProviderCapabilities = {
    filters: ['charge', 'paymentIntent', 'status'],
    pagination: 'id_cursor',
    listFromEnd: false,
    closableStatuses: CARD_CLOSABLE,
    statusFilter: 'many',
    idempotentClose: false,
    summaryLists: true,
    maxPageSize: FLEX_MAX_LIMIT,
  };
  private readonly http: HttpPipeline;

  /**
   * Flex's update takes Stripe's 27 evidence keys (FLEX-UPD); its files are JPEG, PNG or PDF up to
   * 5 MB (FLEX-FILE). Per-field limits: Stripe's (20,000 / 5,000), since Flex's evidence hash
   * mirrors Stripe's and Flex resolves its files to Stripe's; whether Flex enforces them is
   * unconfirmed (the conservative reading). Its total text limit is undocumented (none enforced).
   * No enhanced evidence and no metadata: its documented body is `{"dispute":{"evidence","submit"}}`
   * with neither, so passing them through is unconfirmed.
   * Clearing stays off: FLEX-UPD confirms `""` clears a *file* field, but says nothing of text
   * fields, and the rules' one flag covers both; a staged file is replaced, not removed.
   */
  private evidenceRules(config: FlexConfig): EvidenceRules {
    return {
      fields: EVIDENCE_FIELDS,
      staging: true,
      resubmission: config.resubmission,
      clearing: false,
      maxFileBytes: 5 * 1024 * 1024,
      fileContentTypes: ['application/pdf', 'image/png', 'image/jpeg'],
      maxTextCharacters: null,
      fieldMaxCharacters: STRIPE_FIELD_MAX_CHARACTERS,
    };
  }

  constructor(config: FlexConfig, deps: ProviderDeps) {
    this.account = config.account;
    this.capabilities.evidence = this.evidenceRules(config);
    const authorization = `Bearer ${config.apiKey}`;
    this.http = new HttpPipeline({
      account: config.account,
      resilience: deps.resilience,
      observer: deps.observer,
      spans: deps.spans,
      notFoundCodes: FLEX_NOT_FOUND_CODES,
      provider: 'FLEX',
      baseUrl: config.apiBase,
      dispatcher: deps.dispatcher,
      logger: deps.logger,
      ...fromSettings(config.pipeline),
      authHeaders: () => ({ authorization }),
      readErrorEnvelope: readFlexErrorEnvelope,
      requestIdHeader: 'x-request-id',
    });
  }

  private async fetchList(q: ListQuery, limit: number) {
    const res = await this.http.send({
      method: 'GET',
      path: '/v1/disputes',
      query: {
        limit,
        starting_after: q.startingAfter,
        ending_before: q.endingBefore,
        charge: q.filter.charge,
        payment_intent: q.filter.paymentIntent,
        statuses: q.filter.statuses?.join(','),
        // Lists omit evidence unless asked.
        expand: 'evidence',
      },
    });
    return decodeUpstream('FLEX', res, (json) => {
      const list = readFlexList(json);
      const locate = (raw: unknown) => {
        const o = obj(raw, 'dispute');
        return { id: str(o.dispute_id, 'dispute.dispute_id'), created: new Date(str(o.created_at, 'dispute.created_at')) };
      };
      const disputes = readListed(list.data, (d, i) => flexToDispute(d, this.account, 'summary', `body.disputes[${i}]`), locate, {
        provider: 'FLEX',
        account: this.account,
      });
      return { disputes, hasMore: list.hasMore };
    });
  }

  async list(q: ListQuery): Promise<ListPage> {
    const backward = q.endingBefore !== undefined;
    if (q.noHasMore) {
      const { disputes } = await this.fetchList(q, q.limit);
      return { items: disputes.map((dispute) => ({ dispute, position: dispute.providerDisputeId })), hasMore: disputes.length === q.limit };
    }
    const ask = Math.min(q.limit + 1, FLEX_MAX_LIMIT);
    const { disputes, hasMore: said } = await this.fetchList(q, ask);
    let page = disputes;
    let hasMore: boolean;
    if (disputes.length > q.limit) {
      // The extra item is the one farthest from the cursor: last going forward, first going back.
      page = backward ? disputes.slice(disputes.length - q.limit) : disputes.slice(0, q.limit);
      hasMore = true;
    } else if (said !== null || disputes.length < ask) {
      hasMore = said ?? false;
    } else {
      const edge = backward ? disputes[0]! : disputes.at(-1)!;
      const probe = await this.fetchList(
        { ...q, limit: 1, ...(backward ? { endingBefore: edge.providerDisputeId } : { startingAfter: edge.providerDisputeId }) },
        1,
      );
      hasMore = probe.disputes.length > 0;
    }
    return { items: page.map((dispute) => ({ dispute, position: dispute.providerDisputeId })), hasMore };
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
    // Keys are partner-scoped: another partner's dispute is a 404 too.
    const res = await this.http.getOrNull(upstreamPath`/v1/disputes/${id}`);
    return res && decodeUpstream('FLEX', res, (json) => flexToDispute(readFlexEnvelope(json), this.account, 'full'));
  }

  /**
   * `{"dispute":{"evidence":{…Stripe's keys},"submit":bool}}`; omitted fields stay (an empty string
   * clears a file field, FLEX-UPD; the gateway sends none while clearing is off). Flex documents no
   * idempotency: sent once, a lost answer is recovered by reading back.
   */
  async updateEvidence(id: string, u: EvidenceChange & { submit: boolean; idempotencyKey: string }) {
    const evidence = Object.fromEntries(Object.entries(evidenceFieldsOnly('Flex', u)).map(([f, v]) => [stripeEvidenceKey(f), v ?? '']));
    const res = await this.http.send({
      method: 'POST',
      path: upstreamPath`/v1/disputes/${id}`,
      body: { dispute: { evidence, submit: u.submit } },
      encoding: 'json',
      idempotencyKey: u.idempotencyKey,
      retry: false,
    });
    return decodeUpstream('FLEX', res, (json) => flexToDispute(readFlexEnvelope(json), this.account, 'full'));
  }

  /** `POST /v1/files`, multipart (`purpose=dispute_evidence`, `file`) → `{"file":{file_id,…}}`. Sent once (no documented idempotency). */
  async uploadFile(file: EvidenceUpload, opts: { idempotencyKey: string }) {
    const res = await this.http.send({
      method: 'POST',
      path: '/v1/files',
      payload: () => fileForm(file, { purpose: 'dispute_evidence' }),
      idempotencyKey: opts.idempotencyKey,
      retry: false,
    });
    return decodeUpstream('FLEX', res, readFlexFile);
  }

  async close(id: string, opts: { idempotencyKey: string }) {
    // Flex documents no idempotency: the key is sent, but a failed close is never retried blindly;
    // the dispute is read again first, and one already lost counts as closed.
    return closeStripeStyleWithReread(this, this.http, id, opts.idempotencyKey, (res) =>
      decodeUpstream('FLEX', res, (json) => flexToDispute(readFlexEnvelope(json), this.account, 'full')),
    );
  }
}
