// Starts Afterpay's fake for the sandbox and the tests (loaded on demand by the provider's definition).
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { ProviderFake } from '../../types.js';
import { seedAfterpayDisputes } from './seed.js';
import { AfterpayFake, sandboxAfterpayCredentials } from './server.js';

export async function startAfterpayFake({ seed, count, epoch }: { seed: number; count?: number; epoch?: number }): Promise<ProviderFake> {
    const { merchantId, secretKey } = sandboxAfterpayCredentials();
    const fake = new AfterpayFake(merchantId, secretKey, seedAfterpayDisputes(seed, count, epoch));
    const url = await fake.start();
    return fakeHandle(fake, url, { AFTERPAY_RATE_LIMIT: '0', AFTERPAY_MERCHANT_ID: merchantId, AFTERPAY_SECRET_KEY: secretKey, AFTERPAY_API_BASE: url, AFTERPAY_ENVIRONMENT: 'sandbox' });
}
