// One audit line for every mutation: who, which dispute at which provider, with which idempotency
// key (and, for evidence, which fields — never their contents), when, and what came of it, refusals included. Never a secret: no key material, only the
// key's name; the caller's own strings are cut to a bounded length.
import { Kind, valueFromASTUntyped, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { decodeDisputeId, truncate } from '../domain/ids.js';
import type { KeyedResult } from '../gateway/once.js';
import type { GatewayContext } from './context.js';

/** Longest caller-given string an audit line repeats. */
const ECHO = 128;

interface AuditEntry {
  audit: string;
  disputeId: unknown;
  idempotencyKey: unknown;
  result: string;
  time: string;
  replay?: boolean;
  /** The evidence fields named (never their contents). */
  fields?: string[];
}

function write(ctx: Pick<GatewayContext, 'logger' | 'caller'> & Partial<Pick<GatewayContext, 'metrics'>>, e: AuditEntry): void {
  let provider: string | null = null;
  try {
    provider = typeof e.disputeId === 'string' ? decodeDisputeId(e.disputeId).provider : null;
  } catch {
    // A malformed id is audited as given, with no provider.
  }
  ctx.metrics?.mutation(e.audit, provider, e.result);
  ctx.logger.info('audit', {
    audit: e.audit,
    key: ctx.caller.name,
    disputeId: typeof e.disputeId === 'string' ? truncate(e.disputeId, ECHO) : null,
    provider,
    result: e.result,
    ...(e.replay && { replay: true }),
    ...(e.fields && { fields: e.fields.slice(0, 30) }),
    idempotencyKey: typeof e.idempotencyKey === 'string' ? truncate(e.idempotencyKey, ECHO) : null,
    time: e.time,
  });
}

export async function audited<R extends KeyedResult>(
  ctx: GatewayContext,
  audit: string,
  input: { id: string; idempotencyKey?: string | null; fields?: string[] },
  run: () => Promise<R>,
  /** The result a success is audited as. */
  ok = 'CLOSED',
): Promise<R> {
  const time = new Date().toISOString();
  let result = 'INTERNAL_SERVER_ERROR';
  let replay = false;
  try {
    const out = await run();
    result = out.userErrors[0]?.code ?? ok;
    replay = out.replayed === true;
    return out;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    result = typeof code === 'string' ? code : result;
    throw err;
  } finally {
    write(ctx, {
      audit,
      disputeId: input.id,
      idempotencyKey: input.idempotencyKey ?? null,
      result,
      time,
      replay,
      ...(input.fields && { fields: input.fields }),
    });
  }
}

/**
 * A mutation refused before it ran (scope, cost, budget): one audit line per mutation field, with
 * the dispute id and idempotency key it named, read from literals or variables.
 */
export function auditRefusedMutation(
  ctx: Pick<GatewayContext, 'logger' | 'caller'> & Partial<Pick<GatewayContext, 'metrics'>>,
  op: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  result: string,
): void {
  const time = new Date().toISOString();
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined) => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.INLINE_FRAGMENT) visit(sel.selectionSet);
      else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        if (!seen.has(sel.name.value)) {
          seen.add(sel.name.value);
          visit(fragments.get(sel.name.value)?.selectionSet);
        }
      } else if (!sel.name.value.startsWith('__')) {
        const arg = sel.arguments?.find((a) => a.name.value === 'input');
        let input: unknown = null;
        try {
          input = arg ? valueFromASTUntyped(arg.value, variables) : null;
        } catch {
          input = null;
        }
        const o = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
        write(ctx, { audit: sel.name.value, disputeId: o.id ?? null, idempotencyKey: o.idempotencyKey ?? null, result, time });
      }
    }
  };
  visit(op.selectionSet);
}
