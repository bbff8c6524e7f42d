// Global object ids. Opaque to clients; they carry everything a refetch needs:
// the type, the provider, the account slot and the provider's own id.
import { PROVIDERS, type ProviderName } from './dispute.js';
import { BadUserInput } from './errors.js';

export interface DisputeRef {
  provider: ProviderName;
  account: string;
  providerDisputeId: string;
}

const PREFIX = 'dg1';
const TYPE = 'Dispute';
// Provider ids and account slots are printable and free of our separator.
const PART = /^[A-Za-z0-9_\-.]{1,255}$/;

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

export function encodeDisputeId(ref: DisputeRef): string {
  return b64url([PREFIX, TYPE, ref.provider, ref.account, ref.providerDisputeId].join(':'));
}

/** Decodes a global id; throws BadUserInput for anything that is not one of ours. */
export function decodeDisputeId(id: string, field = 'id'): DisputeRef {
  const fail = (): never => {
    throw new BadUserInput(`"${truncate(id)}" is not a valid dispute id`, field);
  };
  if (typeof id !== 'string' || id.length === 0 || id.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(id)) fail();
  const raw = Buffer.from(id, 'base64url').toString('utf8');
  // Reject non-canonical encodings so one dispute has exactly one id.
  if (b64url(raw) !== id) fail();
  const parts = raw.split(':');
  if (parts.length !== 5) fail();
  const [prefix, type, provider, account, providerDisputeId] = parts as [string, string, string, string, string];
  if (prefix !== PREFIX || type !== TYPE) fail();
  if (!(PROVIDERS as readonly string[]).includes(provider)) fail();
  if (!PART.test(account) || !PART.test(providerDisputeId)) fail();
  return { provider: provider as ProviderName, account, providerDisputeId };
}

export const refKey = (r: DisputeRef): string => `${r.provider}:${r.account}:${r.providerDisputeId}`;

export function truncate(s: unknown, n = 64): string {
  const str = String(s);
  return str.length > n ? `${str.slice(0, n)}…` : str;
}
