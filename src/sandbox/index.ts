// The sandbox: every registered provider's fake on a loopback port, seeded deterministically,
// and the environment that points the gateway at them.
import { PROVIDER_DEFINITIONS } from '../providers/registry.js';
import type { ProviderName } from '../domain/dispute.js';
import type { ProviderFake } from '../providers/types.js';
import { sandboxEpoch } from './random.js';

export interface Sandbox {
  env: Record<string, string>;
  fakes: { name: ProviderName; fake: ProviderFake }[];
  close(): Promise<void>;
}

export interface SandboxOptions {
  /** Disputes per provider; each provider's own default (at least 120) when omitted. */
  count?: number;
  /** Only these providers. */
  only?: readonly ProviderName[];
  /** The clock the seeded timeline is anchored to (epoch ms; default now): tests pass a fixed one. */
  now?: number;
}

export async function startSandbox(seed = 42, opts: SandboxOptions = {}): Promise<Sandbox> {
  const fakes: Sandbox['fakes'] = [];
  try {
    for (const def of PROVIDER_DEFINITIONS) {
      if (opts.only && !opts.only.includes(def.name)) continue;
      fakes.push({ name: def.name, fake: await def.startFake({ seed, count: opts.count, epoch: sandboxEpoch(opts.now) }) });
    }
  } catch (err) {
    await Promise.all(fakes.map(({ fake }) => fake.close()));
    throw err;
  }
  return {
    env: Object.assign({}, ...fakes.map(({ fake }) => fake.env)),
    fakes,
    close: async () => {
      await Promise.all(fakes.map(({ fake }) => fake.close()));
    },
  };
}
