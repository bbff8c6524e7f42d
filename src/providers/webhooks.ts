// What every provider's webhooks share: their settings (secrets per account, several during
// rotation; Afterpay's public URL), the refusal a verification throws, and the contract each
// provider's webhooks.ts implements.
import type { IncomingHttpHeaders } from 'node:http';
import type { DisputeEventType, ProviderEvent } from '../domain/event.js';
import { ConfigError } from './env.js';

export interface WebhookSettings {
  /** Every secret that verifies (comma-separated in the variable, for rotation). */
  secrets: string[];
  /** The URL the provider was given, where its signature covers it (Afterpay). */
  url?: string;
}

/** `<PREFIX>_WEBHOOK_SECRET` (and `<PREFIX>_WEBHOOK_URL` where the signature covers it); null when no secret. */
export function webhookSettings(
  env: NodeJS.ProcessEnv,
  prefix: string,
  opts: { url?: boolean; secret?: (s: string) => string | null } = {},
): WebhookSettings | undefined {
  const secrets = (env[`${prefix}_WEBHOOK_SECRET`] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (secrets.length === 0) return undefined;
  for (const s of secrets) {
    const problem = opts.secret?.(s) ?? (s.length < 16 ? 'must be at least 16 characters' : null);
    if (problem) throw new ConfigError(`${prefix}_WEBHOOK_SECRET (webhookSecret): each secret ${problem}`);
  }
  if (!opts.url) return { secrets };
  const raw = env[`${prefix}_WEBHOOK_URL`]?.trim();
  if (!raw)
    throw new ConfigError(`${prefix}_WEBHOOK_URL (webhookUrl) is needed with ${prefix}_WEBHOOK_SECRET: the signature covers the URL the provider was given`);
  try {
    const u = new URL(raw);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`${prefix}_WEBHOOK_URL (webhookUrl) must be the http(s) URL given to the provider, got "${raw}"`);
  }
  return { secrets, url: raw };
}

/** A webhook that did not verify; `reason` is logged (never the body). */
export class WebhookRejected extends Error {
  constructor(readonly reason: 'missing_headers' | 'bad_signature' | 'stale' | 'future' | 'malformed') {
    super(`webhook refused: ${reason}`);
    this.name = 'WebhookRejected';
  }
}

/** How far a signed timestamp may be from now, either way (Stripe's and Afterpay's 5 minutes). */
export const WEBHOOK_TOLERANCE_S = 300;

/** Refuses a timestamp (unix seconds) outside the tolerance, past or future. */
export function checkTimestamp(t: number, nowMs: number): void {
  if (!Number.isSafeInteger(t)) throw new WebhookRejected('malformed');
  const age = Math.floor(nowMs / 1000) - t;
  if (age > WEBHOOK_TOLERANCE_S) throw new WebhookRejected('stale');
  if (age < -WEBHOOK_TOLERANCE_S) throw new WebhookRejected('future');
}

export const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** One provider's webhooks: verify the raw bytes, then read them (signing as the provider does is the sandbox's: sandbox/types.ts). */
export interface ProviderWebhooks {
  /** The headers that carry the signature, for the docs and logs. */
  headers: readonly string[];
  /** Whether the signature covers the URL the provider was given (then `webhookUrl` is required). */
  needsUrl?: boolean;
  /** Throws WebhookRejected unless one of the secrets signed these bytes within the tolerance. */
  verify(raw: Buffer, headers: IncomingHttpHeaders, settings: WebhookSettings, nowMs: number): Promise<void>;
  /** The events in a verified body (none for event types that are not about disputes). Throws on a body it cannot read. */
  read(raw: Buffer, headers: IncomingHttpHeaders, account: string): ProviderEvent[];
  /** The headers the provider sends with this body. */
}

/** `charge.dispute.<suffix>`, the event names of Stripe, WooshPay and Flex. */
export const CHARGE_DISPUTE_TYPES: Record<string, DisputeEventType> = {
  'charge.dispute.created': 'CREATED',
  'charge.dispute.updated': 'UPDATED',
  'charge.dispute.closed': 'CLOSED',
  'charge.dispute.funds_withdrawn': 'FUNDS_WITHDRAWN',
  'charge.dispute.funds_reinstated': 'FUNDS_REINSTATED',
};
