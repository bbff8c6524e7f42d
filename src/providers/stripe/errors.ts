// Stripe's error envelope: {"error": {"type", "code", "message", "param"}}.
import type { EnvelopeInfo } from '../http.js';
import { obj, strOrNull } from '../wire.js';

export function readStripeErrorEnvelope(json: unknown): EnvelopeInfo {
  const e = obj(obj(json, 'body').error, 'body.error');
  const code = strOrNull(e.code, 'error.code') ?? strOrNull(e.type, 'error.type') ?? undefined;
  return { providerCode: code, message: strOrNull(e.message, 'error.message') ?? undefined };
}
