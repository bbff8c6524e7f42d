// Starts Flex's fake for the sandbox and the tests (loaded on demand by the provider's definition).
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { ProviderFake } from '../../types.js';
import { seedFlexDisputes } from './seed.js';
import { FlexFake, sandboxFlexKey } from './server.js';

export async function startFlexFake({ seed, count, epoch }: { seed: number; count?: number; epoch?: number }): Promise<ProviderFake> {
    const fake = new FlexFake(sandboxFlexKey(), seedFlexDisputes(seed, count, epoch));
    const url = await fake.start();
    return fakeHandle(fake, url, { FLEX_RATE_LIMIT: '0', FLEX_API_KEY: fake.apiKey, FLEX_API_BASE: url });
}
