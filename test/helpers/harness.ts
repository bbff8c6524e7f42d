// A real gateway over a real Stripe fake, both on loopback ports, for one test file.
import { createLogger, type Logger } from '../../src/logger.js';
import { seedStripeDisputes } from '../../src/sandbox/stripe-shape/seed.js';
import { StripeFake } from '../../src/sandbox/stripe-shape/server.js';
import { providersFromEnv, secretsOf } from '../../src/providers/registry.js';
import { startGateway, type Gateway } from '../../src/server.js';

export interface GqlResult<T = any> {
  status: number;
  body: { data?: T; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[]; extensions?: Record<string, any> };
  text: string;
}

export interface Harness {
  gateway: Gateway;
  stripe: StripeFake;
  logs: string[];
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

/** POSTs a GraphQL request as a client would, and keeps the raw text for secret checks. */
export async function postGraphQL<T = any>(url: string, query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

export const TEST_STRIPE_KEY = 'sk_test_harnessSecret0123456789abcdef';

export async function startHarness(opts: { seed?: number; count?: number; stripeKey?: string; extraEnv?: Record<string, string> } = {}): Promise<Harness> {
  const stripe = new StripeFake(TEST_STRIPE_KEY, seedStripeDisputes(opts.seed ?? 7, opts.count ?? 260));
  const stripeUrl = await stripe.start();
  // The fake has no rate limit, so neither does its client here.
  const env = { STRIPE_SECRET_KEY: opts.stripeKey ?? TEST_STRIPE_KEY, STRIPE_API_BASE: stripeUrl, STRIPE_RATE_LIMIT: '0', ...opts.extraEnv };
  const providers = providersFromEnv(env);
  const logs: string[] = [];
  const logger: Logger = createLogger({ level: 'debug', secrets: secretsOf(providers), write: (l) => logs.push(l) });
  const gateway = await startGateway({ providers, logger, port: 0 });
  return {
    gateway,
    stripe,
    logs,
    gql: (query, variables) => postGraphQL(gateway.url, query, variables),
    async close() {
      await gateway.close();
      await stripe.close();
    },
  };
}

/** Stripe's own order: newest first, ties by id descending. */
export const stripeOrder = (stripe: StripeFake) => stripe.all().map((d) => d.id);
