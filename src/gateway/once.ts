// At most once per idempotency key, for every mutation that moves money or evidence (closeDispute,
// updateDisputeEvidence, submitDisputeEvidence, uploadDisputeEvidenceFile). A key belongs to its
// caller and names one input: the same key with another input is refused. A completed result is
// remembered and answered again; concurrent calls with one key share one attempt; before anything
// is sent the key is claimed atomically in the (possibly shared) store; a key whose earlier attempt
// has no recorded answer (lost, or the process died) is recovered by the caller's `recover`, which
// reads the provider's state back before anything is sent again.
import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { BadUserInput, ServiceUnavailable } from '../domain/errors.js';
import { decodeDisputeId, type DisputeRef } from '../domain/ids.js';
import type { IdempotencyRecord, IdempotencyStore } from './idempotency.js';

export interface UserError {
  code: string;
  message: string;
  field: string[] | null;
}

/** What every once-per-key mutation answers: a value or user errors. */
export interface KeyedResult {
  userErrors: UserError[];
  /** Answered from the record of an earlier call with the same key (for the audit line). */
  replayed?: boolean;
}

export interface OnceServices<R extends KeyedResult> {
  idempotency: IdempotencyStore<R>;
  inflight: Map<string, { fingerprint: string; result: Promise<R> }>;
  caller: { name: string };
  /** How long a claim is held for the attempt carrying it out (IDEMPOTENCY_LEASE_MS; default DEFAULT_LEASE_MS). */
  idempotencyLeaseMs?: number;
}

export interface OnceCall<R extends KeyedResult> {
  /** The operation's name: keys are scoped by it and by the caller. */
  operation: string;
  key: string;
  /** What the key is for (the dispute and, where it matters, the input). */
  fingerprint: string;
  /** The answer for a key used for another input. */
  reused: () => R;
  /**
   * With an earlier attempt's outcome unknown: the result read back from the provider, or null to
   * attempt again. `previous` is what was recorded when the key was claimed.
   */
  recover: (upstreamKey: string, previous: IdempotencyRecord<R>) => Promise<R | null>;
  /** The attempt: `claim` must run right before anything is sent (it throws if the key is taken). */
  attempt: (upstreamKey: string, claim: (note?: IdempotencyRecord<R>['note']) => Promise<void>) => Promise<R>;
}

/** The key was claimed for another input between our read and our claim (another replica). */
class KeyClaimedElsewhere extends Error {}

/** Another attempt (a replica) finished the operation while this one waited: its answer is the answer. */
class AnsweredElsewhere<R> extends Error {
  constructor(readonly result: R) {
    super('answered elsewhere');
  }
}

/** How long a claim is held for the attempt carrying it out (IDEMPOTENCY_LEASE_MS): past it, a replica that died while holding it is taken over. */
export const DEFAULT_LEASE_MS = 30_000;

/** What a caller is told when the shared state failed after the provider may have acted. */
export const OUTCOME_UNKNOWN =
  'The gateway could not record the outcome (its shared state did not answer in time): the provider may have carried this out. The outcome is unknown; retry with the same idempotency key, which carries it out at most once.';

/** Refuses money-moving work while the shared store cannot be reached: never risk doing it twice. */
export function requireStore(store: { available?(): boolean }): void {
  if (store.available?.() === false) throw new ServiceUnavailable();
}

/**
 * The answer of another attempt with this key that is finishing now (a replica that holds it, or
 * has just answered): waited for while its lease lasts. Null when there is none.
 */
async function answerElsewhere<R>(store: IdempotencyStore<R>, scoped: string, fingerprint: string, me: string, leaseMs: number): Promise<R | null> {
  const giveUpAt = Date.now() + leaseMs + 5_000;
  for (;;) {
    const rec = await store.get(scoped);
    if (!rec || rec.fingerprint !== fingerprint) return null;
    if (rec.result !== undefined) return rec.result;
    const live = rec.owner !== undefined && rec.owner !== me && (rec.leaseUntil ?? 0) > Date.now();
    if (!live || Date.now() > giveUpAt) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Claims `scoped` for this attempt (`me`) before anything is sent. Free: reserved atomically. Held
 * for another input: KeyClaimedElsewhere. Answered meanwhile: AnsweredElsewhere. Held by another
 * live attempt (a replica at work on it): waited for, up to its lease. Held by nobody, or by an
 * attempt whose lease ran out (it gave up or died): taken over atomically from exactly that holder.
 */
async function claimKey<R>(store: IdempotencyStore<R>, scoped: string, record: IdempotencyRecord<R> & { owner: string }, leaseMs: number): Promise<void> {
  const giveUpAt = Date.now() + leaseMs + 5_000;
  for (;;) {
    if (await store.reserve(scoped, { ...record, leaseUntil: Date.now() + leaseMs })) return;
    const holder = await store.get(scoped);
    if (!holder) continue; // expired in between: reserve again
    if (holder.fingerprint !== record.fingerprint) throw new KeyClaimedElsewhere();
    if (holder.result !== undefined) throw new AnsweredElsewhere(holder.result);
    if (holder.owner === record.owner) return;
    const live = holder.owner !== undefined && (holder.leaseUntil ?? 0) > Date.now();
    if (!live) {
      if (await store.replace(scoped, holder.owner ?? null, { ...record, leaseUntil: Date.now() + leaseMs })) return;
      continue;
    }
    if (Date.now() > giveUpAt)
      throw new ServiceUnavailable('Another request with this idempotency key is still being carried out; retry shortly with the same key.');
    // Another attempt is at work: its answer is ours; if its lease runs out first, take the key over.
    const theirs = await answerElsewhere(store, scoped, record.fingerprint, record.owner, leaseMs);
    if (theirs !== null) throw new AnsweredElsewhere(theirs);
  }
}

/**
 * The Idempotency-Key sent upstream. Providers scope keys per account, not per caller, so two
 * callers choosing the same key must not collide there, and neither may two distinct keys of one
 * caller: the upstream key is a digest of the caller, the operation and the key (64 hex characters,
 * within every provider's limit), prefixed so it is recognisable as the gateway's. Closes keep the
 * digest they had before other operations shared this (no operation in it).
 */
export function upstreamIdempotencyKey(caller: { name: string }, key: string, operation = 'close'): string {
  const h = createHash('sha256').update(caller.name).update('\0');
  if (operation !== 'close') h.update(operation).update('\0');
  return `dg1-${h.update(key).digest('hex')}`;
}

/**
 * One attempt at a keyed call no one else is running in this process: recovery of an earlier
 * attempt's lost answer, the claim, the call, and its outcome remembered (or the claim let go).
 */
async function attempt<R extends KeyedResult>(
  s: OnceServices<R>,
  call: OnceCall<R>,
  scoped: string,
  previous: IdempotencyRecord<R> | null | undefined,
  leaseMs: number,
): Promise<R> {
  const { fingerprint } = call;
  const upstreamKey = upstreamIdempotencyKey(s.caller, call.key, call.operation);
  // An earlier attempt with this key may have acted with its answer lost.
  const recovered = previous ? await call.recover(upstreamKey, previous) : null;
  // Before anything is sent, the key is claimed for this attempt (`me`), atomically, so a replica
  // sharing the store cannot claim it at the same instant (claimKey).
  const me = randomUUID();
  let claimed: IdempotencyRecord<R> | null = null;
  const claim = async (note?: IdempotencyRecord<R>['note']) => {
    const record = { fingerprint, owner: me, ...(note !== undefined && { note }) };
    await claimKey(s.idempotency, scoped, record, leaseMs);
    claimed = record;
  };
  // Lets go of our claim, its note kept: a retry (here or on another replica) recovers at once
  // instead of waiting out the lease.
  const letGo = (held: IdempotencyRecord<R>) => s.idempotency.replace(scoped, me, { fingerprint, ...(held.note !== undefined && { note: held.note }) });
  let r: R;
  try {
    r = recovered ?? (await call.attempt(upstreamKey, claim));
  } catch (err) {
    if (err instanceof KeyClaimedElsewhere) return call.reused();
    if (err instanceof AnsweredElsewhere) return { ...(err.result as R), replayed: true };
    // The outcome is unknown (a lost answer, a timeout): the claim is let go.
    const held = claimed as IdempotencyRecord<R> | null;
    if (held) await letGo(held).catch(() => {});
    // Once claimed, the provider may have been called: the shared state failing now must not say
    // "nothing was sent".
    throw held && err instanceof ServiceUnavailable ? new ServiceUnavailable(OUTCOME_UNKNOWN) : err;
  }
  // A completed call is remembered; a user error is not (the same key may be retried later), and its claim is let go.
  const held = claimed as IdempotencyRecord<R> | null;
  // Refused without having claimed the key (e.g. "already closed"): another replica may be
  // finishing this very call, and its answer is the answer.
  if (r.userErrors.length > 0 && !held) {
    const theirs = await answerElsewhere(s.idempotency, scoped, fingerprint, me, leaseMs);
    if (theirs) return { ...theirs, replayed: true };
  }
  try {
    if (r.userErrors.length === 0) await s.idempotency.set(scoped, { fingerprint, result: r });
    else if (held) await letGo(held);
  } catch (err) {
    // The provider answered, and the answer could not be recorded: it happened, or may have.
    throw err instanceof ServiceUnavailable && r.userErrors.length === 0 ? new ServiceUnavailable(OUTCOME_UNKNOWN) : err;
  }
  return r;
}

export async function oncePerKey<R extends KeyedResult>(s: OnceServices<R>, call: OnceCall<R>): Promise<R> {
  requireStore(s.idempotency);
  const leaseMs = s.idempotencyLeaseMs ?? DEFAULT_LEASE_MS;
  const scoped = `${call.operation}:${s.caller.name}:${call.key}`;
  const { fingerprint } = call;
  const previous = await s.idempotency.get(scoped);
  if (previous && previous.fingerprint !== fingerprint) return call.reused();
  if (previous?.result) return { ...previous.result, replayed: true };
  const running = s.inflight.get(scoped);
  if (running) return running.fingerprint === fingerprint ? running.result.then((r) => ({ ...r, replayed: true })) : call.reused();
  const result = attempt(s, call, scoped, previous, leaseMs);
  s.inflight.set(scoped, { fingerprint, result });
  try {
    return await result;
  } finally {
    s.inflight.delete(scoped);
  }
}

const KEY = /^[\x20-\x7e]{1,255}$/;

/** A keyed mutation's dispute id and idempotency key, read and checked; or the user error. */
export function keyedInput(input: { id: string; idempotencyKey?: string | null }): { ref: DisputeRef; key: string | undefined } | UserError {
  let ref: DisputeRef;
  try {
    ref = decodeDisputeId(input.id);
  } catch (err) {
    if (err instanceof BadUserInput) return { code: 'BAD_USER_INPUT', message: err.message, field: ['input', 'id'] };
    throw err;
  }
  const key = input.idempotencyKey ?? undefined;
  if (key !== undefined && !KEY.test(key))
    return { code: 'BAD_USER_INPUT', message: 'idempotencyKey must be 1 to 255 printable ASCII characters', field: ['input', 'idempotencyKey'] };
  return { ref, key };
}
