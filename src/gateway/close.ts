// closeDispute: accept a dispute as lost, at most once per idempotency key.
import type { Clients } from '../providers/registry.js';
import { isFinal, type Dispute } from '../domain/dispute.js';
import { isProviderRefusal } from '../domain/errors.js';
import { accountKey, refKey, type DisputeRef } from '../domain/ids.js';
import { newIdempotencyKey, providerDisplayName } from '../providers/http.js';
import type { DisputeProviderClient } from '../providers/types.js';
import type { IdempotencyStore } from './idempotency.js';
import { keyedInput, oncePerKey, requireStore, upstreamIdempotencyKey, type KeyedResult, type UserError } from './once.js';
import type { Loaders } from './loaders.js';
import type { OwnChanges } from '../domain/event.js';

export type { UserError };

/** What closeDispute (and the evidence mutations) answer: the dispute, or user errors. */
export interface CloseResult extends KeyedResult {
  dispute: Dispute | null;
}

export interface CloseServices {
  clients: Clients;
  loaders: Loaders;
  idempotency: IdempotencyStore<CloseResult>;
  /** Who is closing: idempotency keys are theirs alone. `anonymous` when the gateway runs open. */
  caller: { name: string; anonymous?: boolean };
  /** Closes in flight in this process, by scoped key, so concurrent retries share one attempt. */
  inflight: Map<string, { fingerprint: string; result: Promise<CloseResult> }>;
  /** Told of every close carried out, to publish it as an event at once. */
  events?: OwnChanges;
}

const failed = (code: string, message: string, field: string[] | null = ['input', 'id']): CloseResult => ({
  dispute: null,
  userErrors: [{ code, message, field }],
});

export async function closeDispute(s: CloseServices, input: { id: string; idempotencyKey?: string | null }): Promise<CloseResult> {
  const read = keyedInput(input);
  if ('code' in read) return { dispute: null, userErrors: [read] };
  const { ref, key } = read;
  const client = s.clients.get(accountKey(ref.provider, ref.account));
  if (!client) return notFound();
  if (!client.close)
    return failed('NOT_SUPPORTED', `${providerDisplayName(ref.provider)} does not let the gateway close disputes; nothing was sent.`, ['input', 'id']);
  if (key === undefined) {
    requireStore(s.idempotency);
    return attempt(s, client, ref, newIdempotencyKey());
  }

  // A key belongs to its caller and names one dispute: used for any other dispute, at any
  // provider or account, it is refused.
  return oncePerKey(s, {
    operation: 'close',
    key,
    fingerprint: refKey(ref),
    reused: keyReused,
    recover: (upstreamKey) => recover(s, client, ref, upstreamKey),
    attempt: (upstreamKey, claim) => attempt(s, client, ref, upstreamKey, () => claim()),
  });
}

/**
 * The key was used before and its outcome is unknown. The dispute is read back first and the
 * answer comes from its state: still open, the close goes ahead as new (with the same upstream
 * key); closed, it is ours when the provider can tell (Afterpay records a merchant's accept;
 * Stripe replays the key's own answer, once, without retries), and otherwise
 * DISPUTE_ALREADY_CLOSED. A close is never sent again into a refusal the state already shows.
 */
async function recover(s: CloseServices, client: DisputeProviderClient, ref: DisputeRef, key: string): Promise<CloseResult | null> {
  s.loaders.dispute.clear(ref);
  const now = await s.loaders.dispute.load(ref);
  if (!now) return notFound();
  if (!isFinal(now.status)) return null;
  if (client.capabilities.idempotentClose && client.closedByMerchant(now)) {
    try {
      const replayed = await client.close!(ref.providerDisputeId, { idempotencyKey: key, retry: false });
      s.loaders.prime([replayed]);
      return { dispute: replayed, userErrors: [] };
    } catch (err) {
      // The provider did not replay: the key never closed it, someone else did.
      if (!isProviderRefusal(err)) throw err;
      return closeGuard(client, now);
    }
  }
  if (client.capabilities.merchantCloseVisible && client.closedByMerchant(now)) return { dispute: now, userErrors: [] };
  return closeGuard(client, now);
}

async function attempt(
  s: CloseServices,
  client: DisputeProviderClient,
  ref: DisputeRef,
  upstreamKey: string,
  beforeSending: () => Promise<void> = async () => {},
): Promise<CloseResult> {
  const current = await s.loaders.dispute.load(ref);
  if (!current) return notFound();
  const guard = closeGuard(client, current);
  if (guard) return guard;
  let closed: Dispute;
  try {
    await beforeSending();
    closed = await client.close!(ref.providerDisputeId, { idempotencyKey: upstreamKey });
  } catch (err) {
    // The provider refused: if the dispute moved on meanwhile, say so as data, not as a failure.
    if (!isProviderRefusal(err)) throw err;
    s.loaders.dispute.clear(ref);
    const now = await s.loaders.dispute.load(ref);
    if (!now) return notFound();
    const moved = closeGuard(client, now);
    if (moved) return moved;
    throw err;
  }
  s.loaders.prime([closed]);
  await s.events?.own('CLOSED', closed, upstreamKey);
  return { dispute: closed, userErrors: [] };
}

function closeGuard(client: DisputeProviderClient, d: Dispute): CloseResult | null {
  const name = providerDisplayName(d.provider);
  if (isFinal(d.status)) {
    return failed('DISPUTE_ALREADY_CLOSED', `The dispute is already ${d.status} at ${name} (${d.providerStatus}); nothing was sent.`);
  }
  if (!client.capabilities.closableStatuses.includes(d.status)) {
    return failed('DISPUTE_NOT_CLOSABLE', `A dispute in status ${d.status} (${name}: ${d.providerStatus}) cannot be closed.`);
  }
  return null;
}

export { upstreamIdempotencyKey };

const notFound = () => failed('NOT_FOUND', 'No dispute exists with this id.');
const keyReused = () => failed('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was already used to close a different dispute.', ['input', 'idempotencyKey']);
