// The fields each scenario asks for, as a GraphQL selection and as a plain projection of the
// unified model, so the gateway and the hand-written proxy return byte-identical JSON.
import { EVIDENCE_FILE_FIELDS, EVIDENCE_TEXT_FIELDS, type Dispute } from '../src/domain/dispute.js';
import { encodeDisputeId } from '../src/domain/ids.js';

const file = (f: { id: string } | null) => (f ? { id: f.id } : null);

export const ONE_FIELDS =
  'id provider providerDisputeId amount currency status reason created evidence { customerName productDescription receipt { id } } evidenceDetails { dueBy hasEvidence submissionCount }';
export function oneShape(d: Dispute) {
  return {
    id: encodeDisputeId({ provider: d.provider, account: d.providerAccount, providerDisputeId: d.providerDisputeId }),
    provider: d.provider,
    providerDisputeId: d.providerDisputeId,
    amount: d.amount,
    currency: d.currency,
    status: d.status,
    reason: d.reason,
    created: d.created.toISOString(),
    evidence: { customerName: d.evidence.customerName, productDescription: d.evidence.productDescription, receipt: file(d.evidence.receipt) },
    evidenceDetails: {
      dueBy: d.evidenceDetails.dueBy?.toISOString() ?? null,
      hasEvidence: d.evidenceDetails.hasEvidence,
      submissionCount: d.evidenceDetails.submissionCount,
    },
  };
}

// A page with all 27 evidence fields, in the order GraphQL returns them.
const EVIDENCE_ORDER = [...EVIDENCE_TEXT_FIELDS, ...EVIDENCE_FILE_FIELDS].sort();
export const PAGE_FIELDS = `id provider providerDisputeId amount currency status reason created charge paymentIntent
  evidence { ${EVIDENCE_ORDER.map((f) => ((EVIDENCE_FILE_FIELDS as readonly string[]).includes(f) ? `${f} { id }` : f)).join(' ')} }
  evidenceDetails { dueBy hasEvidence pastDue submissionCount }`;
export function pageShape(d: Dispute) {
  const evidence: Record<string, unknown> = {};
  for (const f of EVIDENCE_ORDER) {
    const v = d.evidence[f as keyof Dispute['evidence']];
    evidence[f] = (EVIDENCE_FILE_FIELDS as readonly string[]).includes(f) ? file(v as { id: string } | null) : v;
  }
  return {
    id: encodeDisputeId({ provider: d.provider, account: d.providerAccount, providerDisputeId: d.providerDisputeId }),
    provider: d.provider,
    providerDisputeId: d.providerDisputeId,
    amount: d.amount,
    currency: d.currency,
    status: d.status,
    reason: d.reason,
    created: d.created.toISOString(),
    charge: d.charge,
    paymentIntent: d.paymentIntent,
    evidence,
    evidenceDetails: {
      dueBy: d.evidenceDetails.dueBy?.toISOString() ?? null,
      hasEvidence: d.evidenceDetails.hasEvidence,
      pastDue: d.evidenceDetails.pastDue,
      submissionCount: d.evidenceDetails.submissionCount,
    },
  };
}

export const MERGED_FIELDS = 'id provider providerDisputeId amount currency status created';
export function mergedShape(d: Dispute) {
  return {
    id: encodeDisputeId({ provider: d.provider, account: d.providerAccount, providerDisputeId: d.providerDisputeId }),
    provider: d.provider,
    providerDisputeId: d.providerDisputeId,
    amount: d.amount,
    currency: d.currency,
    status: d.status,
    created: d.created.toISOString(),
  };
}
