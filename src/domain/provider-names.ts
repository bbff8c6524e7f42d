// The providers the gateway knows, in its order (ties in the merged connection, `providers`, key
// checks). One source: the SDL's `enum DisputeProvider` (the public contract; codegen makes its
// TypeScript type from the same enum). A provider registered at run time beyond it — a plugin, or
// the extra provider the tests define — is appended by the registry (providers/registry.ts).
import { readFileSync } from 'node:fs';
import { Kind, parse } from 'graphql';
import type { DisputeProvider } from './schema-enums.js';

export type ProviderName = DisputeProvider;

const SDL = new URL('../../schema/dispute.graphql', import.meta.url);

function sdlProviders(): ProviderName[] {
  for (const def of parse(readFileSync(SDL, 'utf8')).definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION && def.name.value === 'DisputeProvider') return (def.values ?? []).map((v) => v.name.value as ProviderName);
  }
  throw new Error('schema/dispute.graphql has no enum DisputeProvider');
}

const names: ProviderName[] = sdlProviders();
const ranks = new Map<string, number>(names.map((p, i) => [p, i]));

/** Every known provider, in the gateway's order. */
export const PROVIDERS: readonly ProviderName[] = names;

export const isProviderName = (x: unknown): x is ProviderName => typeof x === 'string' && ranks.has(x);

/** The provider's place in the gateway's order. */
export const providerRank = (p: ProviderName): number => ranks.get(p) ?? Number.MAX_SAFE_INTEGER;

const display = new Map<string, string>();

/** How messages name a provider (`Afterpay`), from its definition. */
export const displayNameOf = (p: ProviderName): string => display.get(p) ?? p.charAt(0) + p.slice(1).toLowerCase();

/** Extra providers added at run time (the registry's registerProvider); the SDL's come first. */
export function addProviderName(name: string, displayName?: string): ProviderName {
  if (displayName) display.set(name, displayName);
  if (!/^[A-Z][A-Z0-9_]{1,31}$/.test(name)) throw new Error(`a provider name is an SDL enum value in capitals (got ${JSON.stringify(name)})`);
  if (!ranks.has(name)) {
    ranks.set(name, names.length);
    names.push(name as ProviderName);
  }
  return name as ProviderName;
}
