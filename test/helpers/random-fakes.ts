// Every registered provider's fake with a seeded random data set, for property tests: sizes from
// zero up, creation times drawn from a small shared pool so disputes tie within and across
// providers. Driven by the registry: a new provider takes part once it is registered.
import { type DisputeStatus, type ProviderName } from '../../src/domain/dispute.js';
import { providerRank } from '../../src/domain/provider-names.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import { sandboxProviderOf } from '../../src/sandbox/registry.js';
import type { ProviderFake } from '../../src/sandbox/types.js';
import { createRng } from '../../src/sandbox/random.js';
import type { FakeServer } from '../../src/sandbox/fake-server.js';

/** What the gateway should show of one dispute, computed from the fake's own data. */
export interface Record_ {
  provider: ProviderName;
  id: string;
  created: number;
  status: DisputeStatus;
  currency: string;
}

export interface RandomFakes {
  env: Record<string, string>;
  servers: Map<ProviderName, FakeServer>;
  records: Record_[];
  close(): Promise<void>;
}

/** The gateway's documented order: created desc, then provider, then the provider's order (id desc in the fakes). */
export function globalOrder(records: Record_[]): Record_[] {
  return [...records].sort((a, b) => b.created - a.created || providerRank(a.provider) - providerRank(b.provider) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

export async function startRandomFakes(seed: number, opts: { maxPerProvider?: number } = {}): Promise<RandomFakes> {
  const rng = createRng(seed);
  const max = opts.maxPerProvider ?? 60;
  // Some providers empty, some small, some several pages.
  const sizes = PROVIDER_DEFINITIONS.map(() => (rng.chance(0.15) ? 0 : rng.int(1, max)));
  const total = sizes.reduce((a, b) => a + b, 0);
  // At most a third as many creation times as disputes: ties are certain once there are two.
  const pool = Array.from({ length: Math.max(1, Math.min(40, Math.floor(total / 3))) }, () => 1_780_000_000 + rng.int(0, 5_000_000));
  const created = () => rng.pick(pool);

  const fakes: [ProviderName, ProviderFake][] = [];
  for (const [i, def] of PROVIDER_DEFINITIONS.entries())
    fakes.push([def.name, await sandboxProviderOf(def.name).startFake({ seed: seed + 1 + i, count: sizes[i], created })]);
  const rateLimits = Object.fromEntries(PROVIDER_DEFINITIONS.map((d) => [`${d.name}_RATE_LIMIT`, '0']));
  return {
    env: Object.assign({}, ...fakes.map(([, f]) => f.env), rateLimits),
    servers: new Map(fakes.map(([name, f]) => [name, f.server])),
    records: fakes.flatMap(([provider, f]) => f.expected().map((e) => ({ provider, ...e }))),
    close: async () => {
      await Promise.all(fakes.map(([, f]) => f.close()));
    },
  };
}
