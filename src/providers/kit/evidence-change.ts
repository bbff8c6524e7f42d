// For providers that take evidence fields only: an update carrying enhanced evidence or metadata
// is refused visibly (the gateway checks the provider's rules first, so this is a last guard),
// never sent without them as if they had been taken.
import { NotSupported } from '../../domain/errors.js';
import type { EvidenceChange, EvidenceUpdate } from '../../domain/dispute.js';

export function evidenceFieldsOnly(displayName: string, change: EvidenceChange): EvidenceUpdate {
  const extras = [
    change.enhancedEvidence && Object.keys(change.enhancedEvidence).length > 0 && 'enhanced evidence',
    change.metadata && Object.keys(change.metadata).length > 0 && 'metadata',
  ].filter(Boolean);
  if (extras.length > 0) throw new NotSupported(`${displayName} takes no ${extras.join(' or ')} with evidence through the gateway; nothing was sent.`);
  return change.evidence;
}
