// Stripe's error envelope: {"error": {"type", "code", "message", "param"}}.
import type { EnvelopeInfo } from '../http.js';
import { obj, strOrNull } from '../wire.js';

export function readStripeErrorEnvelope(json: unknown): EnvelopeInfo {
  const e = obj(obj(json, 'body').error, 'body.error');
  const code = strOrNull(e.code, 'error.code') ?? strOrNull(e.type, 'error.type') ?? undefined;
  return { providerCode: code, message: strOrNull(e.message, 'error.message') ?? undefined };
}

/** `Stripe-Should-Retry: true|false`, when Stripe sends it, decides whether a failure is retried. */
export function stripeShouldRetry(headers: Record<string, string | string[] | undefined>): boolean | undefined {
  const v = headers['stripe-should-retry'];
  const value = Array.isArray(v) ? v[0] : v;
  return value === 'true' ? true : value === 'false' ? false : undefined;
}
