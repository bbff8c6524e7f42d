// The contract every provider folder implements. The gateway only ever talks to providers
// through this interface; wire formats stay inside each provider's folder.
import type { Dispatcher } from 'undici';
import type { Dispute, DisputeStatus, EnhancedProgram, EvidenceChange, EvidenceField, FileRef, ProviderName } from '../domain/dispute.js';
import type { Logger } from '../logger.js';
import type { PipelineSettings } from './env.js';
import type { ProviderHealth, ResilienceFactory } from './resilience.js';
import type { AttemptObserver, ExchangeSpans } from './http.js';
import type { ProviderWebhooks, WebhookSettings } from './webhooks.js';
import type { GuidanceTable } from './guidance.js';

export interface CreatedRange {
  gt?: Date;
  gte?: Date;
  lt?: Date;
  lte?: Date;
}

export interface ListFilter {
  charge?: string;
  paymentIntent?: string;
  created?: CreatedRange;
  /** The provider's own status values (see DisputeProviderClient.rawStatuses). */
  statuses?: string[];
}

export interface ListQuery {
  /** 1..100 */
  limit: number;
  /** Position of an item; return the items after it (older). Exclusive with endingBefore. */
  startingAfter?: string;
  /** Position of an item; return the items before it (newer), still newest first. */
  endingBefore?: string;
  /** Return the oldest `limit` items (still newest first). Only when `capabilities.listFromEnd`. */
  fromEnd?: boolean;
  /** Like endingBefore, but the item at this position is included (last). Offset lists only. */
  endingAt?: string;
  /** The caller reads the end from a short page: spend no extra request to compute hasMore. */
  noHasMore?: boolean;
  filter: ListFilter;
}

export interface ListPage {
  /** Newest first, whichever direction was asked. `position` is what a cursor stores. */
  items: { dispute: Dispute; position: string }[];
  /** More items exist beyond this page in the direction asked (older for fromEnd: none). */
  hasMore: boolean;
  /** For fromEnd: whether newer items exist before this page. */
  hasNewer?: boolean;
  /** How many items the list holds (with the filter), where the provider tells (Afterpay's `total`). */
  total?: number;
}

export type FilterField = 'charge' | 'paymentIntent' | 'created' | 'status';

/**
 * What a provider's list and close can do. Whether it can retrieve or close at all is whether its
 * client has those methods (optional), never a flag.
 */
export interface ProviderCapabilities {
  /** Filters the provider applies upstream. */
  filters: FilterField[];
  /** 'id_cursor': Stripe-style starting_after/ending_before; 'offset': offset/limit with a total. */
  pagination: 'id_cursor' | 'offset';
  /** Whether list({fromEnd}) is one cheap call (offset lists know their total). */
  listFromEnd: boolean;
  /** Statuses from which the provider lets the merchant close (accept) a dispute. */
  closableStatuses: readonly DisputeStatus[];
  /** With 'status' in filters: whether the upstream filter takes several values or one. */
  statusFilter?: 'many' | 'one';
  /** Fields this provider never has, so a filter on them matches none of its disputes. */
  absentFields?: ('charge' | 'paymentIntent')[];
  /** The largest `limit` a list accepts. */
  maxPageSize: number;
  /** Its lists return summary records: detail fields cost a retrieve per dispute (Flex). */
  summaryLists?: boolean;
  /**
   * A dispute read back says whether the merchant closed (accepted) it, not only that it was lost
   * (Afterpay's closingReason merchant_accepted). Without it a later retry cannot claim a close.
   */
  merchantCloseVisible?: boolean;
  /** The provider replays a close sent again with the same Idempotency-Key (Stripe does). */
  idempotentClose: boolean;
  /** What it accepts as evidence (with updateEvidence; uploads with uploadFile). */
  evidence?: EvidenceRules;
}

export interface EvidenceRules {
  /** The evidence fields it accepts. */
  fields: readonly EvidenceField[];
  /** Evidence can be saved without submitting it. */
  staging: boolean;
  /** Evidence can be submitted again before the deadline. */
  resubmission: boolean;
  /** A field can be cleared (set to null). */
  clearing: boolean;
  maxFileBytes: number | null;
  /** Media types it takes, e.g. application/pdf. */
  fileContentTypes: readonly string[];
  /** All text fields together, in characters. */
  maxTextCharacters: number | null;
  /** Per-field limits in characters (Unicode code points), where the provider states them. */
  fieldMaxCharacters?: Partial<Record<EvidenceField, number>>;
  /** The enhanced evidence programs it can send (Stripe's `enhanced_evidence`); absent: none. */
  enhancedPrograms?: readonly EnhancedProgram[];
  /** Metadata it takes with evidence (Stripe's `metadata[…]`), and its limits; absent: none. */
  metadata?: { maxKeys: number; maxKeyLength: number; maxValueLength: number };
  /** Limits over all the files of one dispute's evidence, where stated (the gateway checks what it can tell; docs/behaviour.md says which). */
  fileTotals?: { maxBytes: number | null; maxPages: number | null; maxPagesMastercard: number | null };
}

/** A file to upload: its bytes (held by the multipart parser up to the upload limit) and what it is. */
export interface EvidenceUpload {
  filename: string;
  contentType: string;
  size: number;
  data: Blob;
}

/** One event from a provider's list of events: what it says happened to a dispute, and the dispute then. */
export interface ProviderEvent {
  /** The provider's id of the event (Stripe's `evt_…`): a position for `startingAfter`. */
  id: string;
  /** The provider's event type, e.g. charge.dispute.updated. */
  type: string;
  occurredAt: Date;
  /** The dispute as the event carries it: its state when the event happened, not now. */
  dispute: Dispute;
}

export interface ProviderEventPage {
  /** Newest first, as the provider lists them. */
  events: ProviderEvent[];
  hasMore: boolean;
}

export interface EventListQuery {
  /** Events created at or after this time. */
  createdGte?: Date;
  /** An event id: the events after it (older), for the next page. */
  startingAfter?: string;
  /** 1..100 */
  limit: number;
}

export interface DisputeProviderClient {
  readonly name: ProviderName;
  readonly account: string;
  readonly capabilities: ProviderCapabilities;
  /** The provider API version pinned and sent on every request (Stripe-Version); absent where none. */
  readonly apiVersion?: string;
  list(query: ListQuery): Promise<ListPage>;
  /** Null when the provider says the dispute does not exist. Absent: lookups answer NOT_SUPPORTED. */
  retrieve?(providerDisputeId: string): Promise<Dispute | null>;
  /** The provider's status values that map to these unified ones (for an upstream status filter). */
  rawStatuses(wanted: readonly DisputeStatus[]): string[];
  /** Whether a string is a list position of this provider's (default: a provider dispute id). */
  isPosition?(position: string): boolean;
  /** The circuit breaker's view of the provider. */
  health(): ProviderHealth;
  /** Whether a dispute read back shows a close of ours took effect (for providers without replay). */
  closedByMerchant(d: Dispute): boolean;
  /**
   * Accept the dispute as lost. The key is sent (where the provider supports one) on every attempt;
   * `retry: false` sends it once (a replay whose refusal is an answer, not a failure).
   */
  close?(providerDisputeId: string, opts: { idempotencyKey: string; retry?: boolean }): Promise<Dispute>;
  /**
   * Stage (`submit: false`) or submit evidence. The key is sent on every attempt; a submission is
   * never retried blindly where the provider does not replay keys.
   */
  updateEvidence?(providerDisputeId: string, update: EvidenceChange & { submit: boolean; idempotencyKey: string }): Promise<Dispute>;
  /** Upload a file of evidence to this account. */
  uploadFile?(file: EvidenceUpload, opts: { idempotencyKey: string }): Promise<FileRef>;
  /**
   * The provider's list of dispute events (Stripe's /v1/events), for the index's replay. Absent: the
   * provider has none. A ProviderError with status 404 or 403 says this account is not offered one.
   */
  listEvents?(query: EventListQuery): Promise<ProviderEventPage>;
}

export interface ProviderDeps {
  dispatcher: Dispatcher;
  logger: Logger;
  /** Where breakers and rate limits live (default: in process memory). */
  resilience?: ResilienceFactory;
  /** Told about every upstream attempt (metrics, tracing). */
  observer?: AttemptObserver;
  /** Spans per attempt, with traceparent sent (absent: tracing is off, nothing is done). */
  spans?: ExchangeSpans;
}

/** What the registry knows about a provider: how to configure it and build it (its fake is the sandbox's: sandbox/registry.ts). */
export interface ProviderDefinition<
  C extends { pipeline: PipelineSettings; account: string; webhook?: WebhookSettings } = {
    pipeline: PipelineSettings;
    account: string;
    webhook?: WebhookSettings;
  },
> {
  name: ProviderName;
  /** How messages and `providers` name it, e.g. `Afterpay`. */
  displayName: string;
  /**
   * The provider's own GraphQL types (its SDL, in its folder's schema.ts): a type for its own
   * dispute fields, added to `union DisputeProviderDetails`, and anything it needs. Optional.
   */
  typeDefs?: string;
  /** The name of its member of DisputeProviderDetails, with typeDefs. */
  detailsType?: string;
  /**
   * Its own fields of a dispute (kept in Dispute.extras) and how each reads: for its details type,
   * and for the SDL's deprecated top-level Dispute fields of the same name (null on other providers' disputes).
   */
  extraFields?: Readonly<Record<string, (d: Dispute) => unknown>>;
  /** Null when the environment does not enable this provider. */
  configFromEnv(env: NodeJS.ProcessEnv): C | null;
  /**
   * What a PROVIDERS_FILE account may set: its environment variables in camelCase without the
   * provider's prefix (secretKey is STRIPE_SECRET_KEY), read by configFromEnv like the variables.
   */
  options: readonly string[];
  create(config: C, deps: ProviderDeps): DisputeProviderClient;
  /** Which evidence wins each dispute reason at this provider (its folder's guidance.ts): Dispute.evidenceGuidance. */
  evidenceGuidance?: GuidanceTable;
  /** How its webhooks are verified and read (POST /webhooks/<provider>[/<account>]); config.webhook holds an account's secrets. */
  webhooks?: ProviderWebhooks;
  /** Every credential in the config, so the logger can redact them. */
  secrets(config: C): string[];
}
