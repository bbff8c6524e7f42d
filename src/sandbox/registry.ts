// The providers the sandbox can fake: the built-in ones, and any registered beside them (the
// tests' extra provider registers here as it registers its definition in providers/registry.ts).
import type { ProviderName } from '../domain/dispute.js';
import { afterpaySandbox } from '../providers/afterpay/fake/index.js';
import { flexSandbox } from '../providers/flex/fake/index.js';
import { stripeSandbox } from '../providers/stripe/fake/index.js';
import { wooshpaySandbox } from '../providers/wooshpay/fake/index.js';
import type { SandboxProvider } from './types.js';

const providers = new Map<ProviderName, SandboxProvider>([stripeSandbox, wooshpaySandbox, flexSandbox, afterpaySandbox].map((p) => [p.name, p]));

/** Adds a provider's fake and signer (a provider registered at run time). */
export function registerSandboxProvider(provider: SandboxProvider): void {
  providers.set(provider.name, provider);
}

/** The sandbox's side of a provider, if it has one. */
export function sandboxProvider(name: ProviderName): SandboxProvider | undefined {
  return providers.get(name);
}

/** The sandbox's side of a provider; throws when it has none (a test asking for a fake that does not exist). */
export function sandboxProviderOf(name: ProviderName): SandboxProvider {
  const p = providers.get(name);
  if (!p) throw new Error(`no sandbox provider is registered for ${name}`);
  return p;
}
