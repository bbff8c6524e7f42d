// Afterpay's error envelope: {"errorCode", "errorId", "message", "httpStatusCode"}.
import type { EnvelopeInfo } from '../http.js';
import { obj, strOrNull } from '../wire.js';

export function readAfterpayErrorEnvelope(json: unknown): EnvelopeInfo {
  const e = obj(json, 'body');
  return { providerCode: strOrNull(e.errorCode, 'errorCode') ?? undefined, message: strOrNull(e.message, 'message') ?? undefined };
}
