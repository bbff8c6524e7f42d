// Stripe's events about disputes, and those of every Stripe-shaped provider: reading one (its
// webhooks and its events list carry the same Event object) and listing them (GET /v1/events,
// kept 30 days at Stripe) through the provider's own pipeline, for the index's replay.
import type { Dispute, ProviderName } from '../../domain/dispute.js';
import type { DisputeEventType } from '../../domain/event.js';
import { decodeUpstream, type HttpPipeline } from '../http.js';
import type { EventListQuery, ProviderEventPage } from '../types.js';
import { CHARGE_DISPUTE_TYPES } from '../webhooks.js';
import { MalformedUpstream, obj, readListed, str, unixTime, type Obj } from '../wire.js';
import { locateStripeShaped, readStripeList } from './stripe-shape.js';

/** A Stripe event about a dispute, read. */
export interface StripeDisputeEvent {
  id: string;
  /** Stripe's type, e.g. charge.dispute.updated. */
  type: string;
  /** What it means in the unified model (an update that raised the submission count: EVIDENCE_SUBMITTED). */
  eventType: DisputeEventType;
  occurredAt: Date;
  dispute: Dispute;
  /** The Idempotency-Key of the request that caused it (`request.idempotency_key`). */
  causedByKey: string | null;
}

const record = (v: unknown): Obj | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null);

/**
 * The event's type. `charge.dispute.updated` whose previous attributes show a lower evidence
 * submission count is the submission of evidence (Stripe has no event of its own for it).
 */
function eventType(type: string, data: Obj, dispute: Dispute): DisputeEventType | null {
  const mapped = CHARGE_DISPUTE_TYPES[type];
  if (mapped !== 'UPDATED') return mapped ?? null;
  const before = record(record(data.previous_attributes)?.evidence_details)?.submission_count;
  return typeof before === 'number' && dispute.evidenceDetails.submissionCount > before ? 'EVIDENCE_SUBMITTED' : 'UPDATED';
}

/**
 * One Stripe Event object `{id, type, created, data: {object, previous_attributes}, request}`;
 * null when its type is not about a dispute. A wrong envelope, or a dispute `toDispute` cannot
 * read, throws MalformedUpstream naming the path.
 */
export function readStripeDisputeEvent(v: unknown, toDispute: (raw: unknown) => Dispute, path = 'event'): StripeDisputeEvent | null {
  const event = obj(v, path);
  const id = str(event.id, `${path}.id`);
  const type = str(event.type, `${path}.type`);
  const occurredAt = unixTime(event.created, `${path}.created`);
  const data = obj(event.data, `${path}.data`);
  if (CHARGE_DISPUTE_TYPES[type] === undefined) return null;
  const dispute = toDispute(data.object);
  const key = record(event.request)?.idempotency_key;
  return { id, type, eventType: eventType(type, data, dispute)!, occurredAt, dispute, causedByKey: typeof key === 'string' ? key : null };
}

/** The event types asked for: the dispute events (the keys of CHARGE_DISPUTE_TYPES). */
export const STRIPE_DISPUTE_EVENT_TYPES: readonly string[] = Object.keys(CHARGE_DISPUTE_TYPES);

/** How one Stripe-shaped provider's events list is called. */
export interface StripeEventsEndpoint {
  provider: ProviderName;
  account: string;
  /** The provider's pipeline: its auth, rate limit, breaker, retries and observers. */
  http: HttpPipeline;
  /** The dispute reader its dispute list uses. */
  toDispute: (raw: unknown) => Dispute;
  path: string;
  /** Where the parameters go: the query string (Stripe's way) or a JSON body on the GET (WooshPay's documented list style). */
  params: 'query' | 'body';
}

/**
 * `GET <path>?types[]=charge.dispute.…&created[gte]=…&starting_after=…&limit=…`, newest first. Any
 * failure is the pipeline's ProviderError with its status: a 404 or 403 is how a provider or an
 * account without an events list answers, and the caller (the index) reads it so.
 */
export async function listStripeShapedEvents(endpoint: StripeEventsEndpoint, q: EventListQuery): Promise<ProviderEventPage> {
  const params = {
    // Arrays go out indexed (types[0]=…), as stripe-node sends them; Stripe reads types[] the same.
    types: [...STRIPE_DISPUTE_EVENT_TYPES],
    // Whole seconds, rounded up: the same events as the instant asked for (created is whole seconds).
    created: q.createdGte && { gte: Math.ceil(q.createdGte.getTime() / 1000) },
    starting_after: q.startingAfter,
    limit: q.limit,
  };
  const res = await endpoint.http.send(
    endpoint.params === 'body'
      ? { method: 'GET', path: endpoint.path, body: params, encoding: 'json', operation: 'events.list' }
      : { method: 'GET', path: endpoint.path, query: params, operation: 'events.list' },
  );
  return decodeUpstream(endpoint.provider, res, (json) => readStripeEventPage(json, endpoint));
}

/**
 * A page of events. A dispute that cannot be read becomes the list's unreadable placeholder, as in
 * the dispute list; an event of another type (asked for none) fails the page rather than being
 * skipped, since a skipped last event would leave the caller's cursor behind.
 */
function readStripeEventPage(json: unknown, endpoint: Pick<StripeEventsEndpoint, 'provider' | 'account' | 'toDispute'>): ProviderEventPage {
  const list = readStripeList(json);
  const placeholder = { provider: endpoint.provider, account: endpoint.account };
  const toDispute = (raw: unknown) => readListed([raw], endpoint.toDispute, locateStripeShaped, placeholder)[0]!;
  const events = list.data.map((raw, i) => {
    const read = readStripeDisputeEvent(raw, toDispute, `list.data[${i}]`);
    if (!read) throw new MalformedUpstream(`list.data[${i}].type`, `one of ${STRIPE_DISPUTE_EVENT_TYPES.join(', ')}`);
    return { id: read.id, type: read.type, occurredAt: read.occurredAt, dispute: read.dispute };
  });
  return { events, hasMore: list.hasMore };
}
