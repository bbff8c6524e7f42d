// PROVIDERS_FILE: several accounts per provider (EU and US entities, Connect accounts), each with
// every option its provider reads from the environment, and secrets kept out of the file:
//
//   accounts:
//     - provider: stripe
//       account: eu
//       secretKey: "${STRIPE_EU_KEY}"      # read from the environment; a missing one stops start-up
//       stripeAccount: acct_1Example       # Connect: sent as Stripe-Account on every request
//       timeoutMs: 8000
//
// An account's options are its provider's environment variables in camelCase, without the prefix
// (STRIPE_SECRET_KEY -> secretKey, AFTERPAY_MERCHANT_ID -> merchantId, FLEX_RATE_LIMIT -> rateLimit):
// each entry is read by the provider's own configFromEnv, so the file and the variables accept the
// same options, validated the same way.
import { readFileSync } from 'node:fs';
import { ACCOUNT_NAME } from '../domain/ids.js';
import { ConfigError, parseConfigDocument } from './env.js';
import type { ProviderDefinition } from './types.js';

export interface AccountEntry {
  definition: ProviderDefinition;
  account: string;
  /** The entry as the provider's environment variables (PREFIX_UPPER_SNAKE). */
  env: Record<string, string>;
}

const upperSnake = (camel: string) => camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** `${VAR}` from the environment, or a start-up error naming VAR. */
function interpolate(value: string, env: NodeJS.ProcessEnv, where: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new ConfigError(`${where} uses \${${name}}, which is not set in the environment`);
    return v;
  });
}

export function readAccountsFile(path: string, env: NodeJS.ProcessEnv, definitions: readonly ProviderDefinition[]): AccountEntry[] {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`PROVIDERS_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseAccounts(source, path, env, definitions);
}

export function parseAccounts(source: string, origin: string, env: NodeJS.ProcessEnv, definitions: readonly ProviderDefinition[]): AccountEntry[] {
  const doc = parseConfigDocument(source, `PROVIDERS_FILE ${origin}`);
  const list = (doc as { accounts?: unknown } | null)?.accounts;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`PROVIDERS_FILE ${origin} must have a non-empty "accounts" list`);
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const at = `PROVIDERS_FILE accounts[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${at} must be an object with provider and account`);
    const { provider, account, ...options } = raw as Record<string, unknown>;
    const definition = definitions.find((d) => typeof provider === 'string' && d.name === provider.toUpperCase());
    if (!definition) throw new ConfigError(`${at}: provider must be one of ${definitions.map((d) => d.name.toLowerCase()).join(', ')}`);
    if (typeof account !== 'string' || !ACCOUNT_NAME.test(account)) throw new ConfigError(`${at}: account must match [a-z0-9_-]{1,32}`);
    const key = `${definition.name}:${account}`;
    if (seen.has(key)) throw new ConfigError(`${at}: ${definition.name.toLowerCase()} account "${account}" is listed twice`);
    seen.add(key);
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(options)) {
      if (!definition.options.includes(name)) {
        throw new ConfigError(`${at} (${key}): unknown option "${name}"; ${definition.name.toLowerCase()} takes ${definition.options.join(', ')}`);
      }
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
        throw new ConfigError(`${at} (${key}): ${name} must be a string or a number`);
      const snake = upperSnake(name);
      // stripeAccount is STRIPE_ACCOUNT, not STRIPE_STRIPE_ACCOUNT.
      out[snake.startsWith(`${definition.name}_`) ? snake : `${definition.name}_${snake}`] = interpolate(String(value), env, `${at} (${key}) ${name}`);
    }
    return { definition, account, env: out };
  });
}
