// TestPay's client: list (id cursors, newest first) and retrieve, through the shared HTTP pipeline
// (timeouts, retries, breaker, rate, tracing and metrics come from it). It has no close: the
// gateway answers NOT_SUPPORTED for one, with nothing sent.
import type { Dispute, DisputeStatus } from '../../domain/dispute.js';
import type { PipelineSettings } from '../env.js';
import { decodeUpstream, fromSettings, HttpPipeline, upstreamPath } from '../http.js';
import type { DisputeProviderClient, ListPage, ListQuery, ProviderCapabilities, ProviderDeps } from '../types.js';
import { rawStatuses, TESTPAY, testpayToDispute } from './transformers.js';
import type { TestPayDispute, TestPayError, TestPayList } from './wire.js';

export interface TestPayConfig {
  apiKey: string;
  apiBase: string;
  account: string;
  pipeline: PipelineSettings;
}

export class TestPayClient implements DisputeProviderClient {
  readonly name = TESTPAY;
  readonly account: string;
  readonly capabilities: ProviderCapabilities = {
    filters: [],
    pagination: 'id_cursor',
    listFromEnd: false,
    closableStatuses: [],
    idempotentClose: false,
    maxPageSize: 100,
  };
  private readonly http: HttpPipeline;

  constructor(config: TestPayConfig, deps: ProviderDeps) {
    this.account = config.account;
    this.http = new HttpPipeline({
      provider: TESTPAY,
      account: config.account,
      baseUrl: config.apiBase,
      dispatcher: deps.dispatcher,
      logger: deps.logger,
      resilience: deps.resilience,
      observer: deps.observer,
      spans: deps.spans,
      notFoundCodes: ['not_found'],
      ...fromSettings(config.pipeline),
      authHeaders: () => ({ authorization: `Bearer ${config.apiKey}` }),
      readErrorEnvelope: (json) => ({ providerCode: (json as Partial<TestPayError> | null)?.error?.code }),
    });
  }

  async list(q: ListQuery): Promise<ListPage> {
    const res = await this.http.send({
      method: 'GET',
      path: '/disputes',
      query: { limit: q.limit, starting_after: q.startingAfter, ending_before: q.endingBefore },
    });
    return decodeUpstream(TESTPAY, res, (json) => {
      const page = json as TestPayList;
      return { items: page.data.map((d) => ({ dispute: testpayToDispute(d, this.account), position: d.id })), hasMore: page.has_more };
    });
  }

  async retrieve(id: string): Promise<Dispute | null> {
    const res = await this.http.getOrNull(upstreamPath`/disputes/${id}`);
    return res && decodeUpstream(TESTPAY, res, (json) => testpayToDispute(json as TestPayDispute, this.account));
  }

  rawStatuses(wanted: readonly DisputeStatus[]): string[] {
    return rawStatuses(wanted);
  }

  health() {
    return this.http.health();
  }

  closedByMerchant(): boolean {
    return false;
  }
}
