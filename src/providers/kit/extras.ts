// A provider's own fields (Dispute.extras), read for its GraphQL details type and for the SDL's
// deprecated top-level Dispute fields: by name, as stored, unless the provider shapes one itself.
import type { Dispute } from '../../domain/dispute.js';

/** Readers of extras fields stored as the GraphQL types show them. */
export const storedExtras = (names: readonly string[]): Record<string, (d: Dispute) => unknown> =>
  Object.fromEntries(names.map((n) => [n, (d: Dispute) => d.extras[n] ?? null]));
