// The sandbox: every registered provider's fake on a loopback port, seeded deterministically,
// and the environment that points the gateway at them.
import { PROVIDER_DEFINITIONS } from '../providers/registry.js';
import type { ProviderName } from '../domain/dispute.js';
import { sandboxProvider } from './registry.js';
import type { ProviderFake } from './types.js';
import { sandboxEpoch } from './random.js';

export interface Sandbox {
  env: Record<string, string>;
  fakes: { name: ProviderName; fake: ProviderFake }[];
  /**
   * Points every fake's signed webhooks at the gateway (its origin, e.g. http://127.0.0.1:4000), and,
   * with `newDisputeEveryMs`, opens a new dispute that often at a fake that can (announced by webhook).
   */
  connect(gatewayOrigin: string, opts?: { newDisputeEveryMs?: number }): void;
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
      const provider = sandboxProvider(def.name);
      if (!provider || (opts.only && !opts.only.includes(def.name))) continue;
      fakes.push({ name: def.name, fake: await provider.startFake({ seed, count: opts.count, epoch: sandboxEpoch(opts.now) }) });
    }
  } catch (err) {
    await Promise.all(fakes.map(({ fake }) => fake.close()));
    throw err;
  }
  let ticker: NodeJS.Timeout | undefined;
  return {
    env: Object.assign({}, ...fakes.map(({ fake }) => fake.env)),
    fakes,
    connect(origin, { newDisputeEveryMs } = {}) {
      for (const { name, fake } of fakes) fake.webhooks?.deliverTo(`${origin}/webhooks/${name.toLowerCase()}`);
      const openers = fakes.flatMap(({ fake }) => (fake.webhooks?.newDispute ? [fake.webhooks.newDispute] : []));
      if (newDisputeEveryMs && openers.length > 0) {
        let turn = 0;
        ticker = setInterval(() => openers[turn++ % openers.length]!(), newDisputeEveryMs);
        ticker.unref();
      }
    },
    close: async () => {
      clearInterval(ticker);
      await Promise.all(fakes.map(({ fake }) => fake.close()));
    },
  };
}
