// Flex's error envelope: {"error": {"code": "invalid_request", "message": "..."}}.
import type { EnvelopeInfo } from '../http.js';
import { obj, strOrNull } from '../wire.js';

export function readFlexErrorEnvelope(json: unknown): EnvelopeInfo {
  const e = obj(obj(json, 'body').error, 'body.error');
  return { providerCode: strOrNull(e.code, 'error.code') ?? undefined, message: strOrNull(e.message, 'error.message') ?? undefined };
}
