// Evidence guidance in the schema: on every dispute, and on an evidence update's payload (as it is
// after the update, or with validateOnly as it would be). No provider call: the tables and the
// dispute already read.
import type { Dispute } from '../domain/dispute.js';
import { accountKey } from '../domain/ids.js';
import { evidenceGuidance } from '../gateway/guidance.js';
import type { EvidenceResult } from '../gateway/evidence.js';
import { providerDisplayName } from '../providers/http.js';
import { guidanceTableOf } from '../providers/registry.js';
import { NO_GUIDANCE } from '../providers/guidance.js';
import type { GatewayContext } from './context.js';
import type { Resolvers } from './generated/resolvers-types.js';

function guidanceOf(d: Dispute, ctx: GatewayContext) {
  const client = ctx.clients.get(accountKey(d.provider, d.providerAccount));
  return evidenceGuidance(d, {
    table: guidanceTableOf(d.provider) ?? NO_GUIDANCE,
    rules: client?.capabilities.evidence,
    takesEvidence: client?.updateEvidence !== undefined && client.capabilities.evidence !== undefined,
    providerName: providerDisplayName(d.provider),
    now: Date.now(),
  });
}

export const guidanceResolvers: Resolvers = {
  Dispute: {
    evidenceGuidance: (d, _, ctx) => guidanceOf(d, ctx),
  },
  UpdateDisputeEvidencePayload: {
    guidance: (r: EvidenceResult, _, ctx) => {
      if (r.userErrors.length > 0) return null;
      const d = r.preview ?? r.dispute;
      return d ? guidanceOf(d, ctx) : null;
    },
  },
};
