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
// Every provider documents its ids as a prefix and letters or digits (Stripe du_/dp_, Flex fdsp_,
// Afterpay dp_; WooshPay follows Stripe). So ids are letters, digits, _ and -, starting with a
// letter or digit: never a dot segment, a slash or an encoded character that could change the
// shape of the upstream path they are put in.
const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
// Account slots: the names PROVIDERS_FILE allows.
const ACCOUNT = /^[a-z0-9_-]{1,32}$/; // = ACCOUNT_NAME

/** Whether a string is of the form every provider's dispute ids take (see above). */
export const isProviderId = (s: unknown): s is string => typeof s === 'string' && PROVIDER_ID.test(s);

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
  if (!ACCOUNT.test(account) || !isProviderId(providerDisputeId)) fail();
  return { provider: provider as ProviderName, account, providerDisputeId };
}

export interface EventRef {
  provider: ProviderName;
  account: string;
  providerEventId: string;
}

export function encodeEventId(ref: EventRef): string {
  return b64url([PREFIX, 'DisputeEvent', ref.provider, ref.account, ref.providerEventId].join(':'));
}

/** The type a global id names (`Dispute`, `DisputeEvent`), or null when it is not one of ours. */
export function globalIdType(id: string): string | null {
  if (typeof id !== 'string' || id.length === 0 || id.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(id)) return null;
  const parts = Buffer.from(id, 'base64url').toString('utf8').split(':');
  return parts.length === 5 && parts[0] === PREFIX ? parts[1]! : null;
}

/** Decodes an event's global id; throws BadUserInput for anything that is not one. */
export function decodeEventId(id: string, field = 'id'): EventRef {
  const raw = globalIdType(id) === 'DisputeEvent' ? Buffer.from(id, 'base64url').toString('utf8') : '';
  const [, , provider, account, providerEventId] = raw.split(':') as [string, string, string, string, string];
  if (!raw || b64url(raw) !== id || !(PROVIDERS as readonly string[]).includes(provider) || !ACCOUNT.test(account) || !isProviderId(providerEventId)) {
    throw new BadUserInput(`"${truncate(id)}" is not a valid event id`, field);
  }
  return { provider: provider as ProviderName, account, providerEventId };
}

export const refKey = (r: DisputeRef): string => `${r.provider}:${r.account}:${r.providerDisputeId}`;

/** One provider event, by its provider's id: `STRIPE:eu:evt_…`. Dedupe and the history's lookups use it. */
export const eventKey = (provider: string, account: string, providerEventId: string): string => `${provider}:${account}:${providerEventId}`;

/** One configured account of one provider: `STRIPE:eu`. Clients, cursors and key scopes use it. */
export const accountKey = (provider: ProviderName, account: string): string => `${provider}:${account}`;

export const ACCOUNT_NAME = /^[a-z0-9_-]{1,32}$/;

/** A caller's (or provider's) text cut to `n` characters, with a marker saying how much was cut. */
export function truncate(s: unknown, n = 64): string {
  const str = String(s);
  return str.length > n ? `${str.slice(0, n)}…[${str.length - n} more characters]` : str;
}
