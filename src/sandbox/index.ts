// The sandbox: every registered provider's fake on a loopback port, seeded deterministically,
// and the environment that points the gateway at them.
import { PROVIDER_DEFINITIONS } from '../providers/registry.js';
import type { ProviderFake } from '../providers/types.js';

export interface Sandbox {
  env: Record<string, string>;
  fakes: { name: string; fake: ProviderFake }[];
  close(): Promise<void>;
}

export async function startSandbox(seed = 42): Promise<Sandbox> {
  const fakes: Sandbox['fakes'] = [];
  try {
    for (const def of PROVIDER_DEFINITIONS) fakes.push({ name: def.name, fake: await def.startFake({ seed }) });
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
