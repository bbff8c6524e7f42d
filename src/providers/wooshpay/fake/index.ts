// Starts WooshPay's fake for the sandbox and the tests (loaded on demand by the provider's definition).
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { ProviderFake } from '../../types.js';
import { seedWooshPayDisputes } from './seed.js';
import { WooshPayFake, sandboxWooshPayKey } from './server.js';

export async function startWooshPayFake({ seed, count, epoch }: { seed: number; count?: number; epoch?: number }): Promise<ProviderFake> {
    const fake = new WooshPayFake(sandboxWooshPayKey(), seedWooshPayDisputes(seed, count, epoch));
    const url = await fake.start();
    return fakeHandle(fake, url, { WOOSHPAY_RATE_LIMIT: '0', WOOSHPAY_SECRET_KEY: fake.secretKey, WOOSHPAY_API_BASE: url });
}
