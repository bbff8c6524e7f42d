// Starts Stripe's fake for the sandbox and the tests (loaded on demand by the provider's definition).
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { ProviderFake } from '../../types.js';
import { seedStripeDisputes } from './seed.js';
import { StripeFake, sandboxStripeKey } from './server.js';

export async function startStripeFake({ seed, count, epoch }: { seed: number; count?: number; epoch?: number }): Promise<ProviderFake> {
    const fake = new StripeFake(sandboxStripeKey(), seedStripeDisputes(seed, count, epoch));
    const url = await fake.start();
    return fakeHandle(fake, url, { STRIPE_RATE_LIMIT: '0', STRIPE_SECRET_KEY: fake.secretKey, STRIPE_API_BASE: url });
}
