// At most once per idempotency key, for every mutation that moves money or evidence (closeDispute,
// updateDisputeEvidence, submitDisputeEvidence, uploadDisputeEvidenceFile). A key belongs to its
// caller and names one input: the same key with another input is refused. A completed result is
// remembered and answered again; concurrent calls with one key share one attempt; before anything
// is sent the key is claimed atomically in the (possibly shared) store; a key whose earlier attempt
// has no recorded answer (lost, or the process died) is recovered by the caller's `recover`, which
// reads the provider's state back before anything is sent again.
import { createHash } from 'node:crypto';
import { BadUserInput } from '../domain/errors.js';
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

export async function oncePerKey<R extends KeyedResult>(s: OnceServices<R>, call: OnceCall<R>): Promise<R> {
  const scoped = `${call.operation}:${s.caller.name}:${call.key}`;
  const { fingerprint } = call;
  const previous = await s.idempotency.get(scoped);
  if (previous && previous.fingerprint !== fingerprint) return call.reused();
  if (previous?.result) return { ...previous.result, replayed: true };
  const running = s.inflight.get(scoped);
  if (running) return running.fingerprint === fingerprint ? running.result.then((r) => ({ ...r, replayed: true })) : call.reused();
  const result = (async () => {
    const upstreamKey = upstreamIdempotencyKey(s.caller, call.key, call.operation);
    // An earlier attempt with this key may have acted with its answer lost.
    const recovered = previous ? await call.recover(upstreamKey, previous) : null;
    // Before anything is sent, the key is claimed (atomically, so a replica sharing the store
    // cannot claim it at the same instant for another input); an earlier attempt of ours holds it already.
    const claim = async (note?: IdempotencyRecord<R>['note']) => {
      if (await s.idempotency.reserve(scoped, { fingerprint, ...(note !== undefined && { note }) })) return;
      const holder = await s.idempotency.get(scoped);
      if (holder && holder.fingerprint !== fingerprint) throw new KeyClaimedElsewhere();
    };
    let r: R;
    try {
      r = recovered ?? (await call.attempt(upstreamKey, claim));
    } catch (err) {
      if (err instanceof KeyClaimedElsewhere) return call.reused();
      throw err;
    }
    // A completed call is remembered; a user error is not (the same key may be retried later).
    if (r.userErrors.length === 0) await s.idempotency.set(scoped, { fingerprint, result: r });
    return r;
  })();
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
  if (key !== undefined && !KEY.test(key)) return { code: 'BAD_USER_INPUT', message: 'idempotencyKey must be 1 to 255 printable ASCII characters', field: ['input', 'idempotencyKey'] };
  return { ref, key };
}
