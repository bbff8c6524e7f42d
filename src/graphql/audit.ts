// One audit line for every mutation: who, which dispute at which provider, with which idempotency
// key, when, and what came of it. Never a secret: no key material, only the key's name.
import { decodeDisputeId } from '../domain/ids.js';
import type { CloseResult } from '../gateway/close.js';
import type { GatewayContext } from './context.js';

export async function audited(
  ctx: GatewayContext,
  input: { id: string; idempotencyKey?: string | null },
  run: () => Promise<CloseResult>,
): Promise<CloseResult> {
  const time = new Date().toISOString();
  let provider: string | null = null;
  try {
    provider = decodeDisputeId(input.id).provider;
  } catch {
    // A malformed id is audited as given, with no provider.
  }
  let result = 'INTERNAL_SERVER_ERROR';
  try {
    const out = await run();
    result = out.userErrors[0]?.code ?? 'CLOSED';
    return out;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    result = typeof code === 'string' ? code : result;
    throw err;
  } finally {
    ctx.logger.info('audit', {
      audit: 'closeDispute',
      key: ctx.caller.name,
      disputeId: input.id,
      provider,
      result,
      idempotencyKey: input.idempotencyKey ?? null,
      time,
    });
  }
}
