// All four provider fakes with seeded random data sets for property tests: sizes from zero up,
// creation times drawn from a small shared pool so disputes tie within and across providers.
import { seedAfterpayDisputes } from '../../src/providers/afterpay/fake/seed.js';
import { AfterpayFake } from '../../src/providers/afterpay/fake/server.js';
import { mapAfterpayStatus } from '../../src/providers/afterpay/transformers.js';
import { seedFlexDisputes } from '../../src/providers/flex/fake/seed.js';
import { FlexFake } from '../../src/providers/flex/fake/server.js';
import { seedStripeDisputes } from '../../src/providers/stripe/fake/seed.js';
import { StripeFake } from '../../src/providers/stripe/fake/server.js';
import { mapStripeStatus } from '../../src/providers/stripe/transformers.js';
import { seedWooshPayDisputes } from '../../src/providers/wooshpay/fake/seed.js';
import { WooshPayFake } from '../../src/providers/wooshpay/fake/server.js';
import { mapWooshPayStatus } from '../../src/providers/wooshpay/transformers.js';
import { PROVIDERS, type DisputeStatus, type ProviderName } from '../../src/domain/dispute.js';
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

const RANK = new Map(PROVIDERS.map((p, i) => [p, i]));

/** The gateway's documented order: created desc, then provider, then the provider's order (id desc in the fakes). */
export function globalOrder(records: Record_[]): Record_[] {
  return [...records].sort((a, b) => b.created - a.created || RANK.get(a.provider)! - RANK.get(b.provider)! || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

export async function startRandomFakes(seed: number, opts: { maxPerProvider?: number } = {}): Promise<RandomFakes> {
  const rng = createRng(seed);
  const max = opts.maxPerProvider ?? 60;
  // Some providers empty, some small, some several pages.
  const sizes = PROVIDERS.map(() => (rng.chance(0.15) ? 0 : rng.int(1, max)));
  const total = sizes.reduce((a, b) => a + b, 0);
  // At most a third as many creation times as disputes: ties are certain once there are two.
  const pool = Array.from({ length: Math.max(1, Math.min(40, Math.floor(total / 3))) }, () => 1_780_000_000 + rng.int(0, 5_000_000));
  const when = () => rng.pick(pool);
  const records: Record_[] = [];

  const stripe = seedStripeDisputes(seed + 1, sizes[0]).map((d) => ({ ...d, created: when() }));
  const wooshpay = seedWooshPayDisputes(seed + 2, sizes[1]).map((d) => ({ ...d, created: when() }));
  const flex = seedFlexDisputes(seed + 3, sizes[2]).map((d) => ({ ...d, created_at: new Date(when() * 1000).toISOString() }));
  const afterpay = seedAfterpayDisputes(seed + 4, sizes[3]).map((d) => ({ ...d, createdAt: String(when()) }));
  for (const d of stripe) records.push({ provider: 'STRIPE', id: d.id, created: d.created, status: mapStripeStatus(d.status), currency: d.currency });
  for (const d of wooshpay) records.push({ provider: 'WOOSHPAY', id: d.id, created: d.created, status: mapWooshPayStatus(d.status), currency: d.currency });
  for (const d of flex) records.push({ provider: 'FLEX', id: d.dispute_id, created: Date.parse(d.created_at) / 1000, status: mapStripeStatus(d.status), currency: d.currency });
  for (const d of afterpay) {
    const currency = (d.currency ?? (typeof d.meta?.transactionAmount === 'object' ? d.meta.transactionAmount.currency : 'usd')).toLowerCase();
    records.push({ provider: 'AFTERPAY', id: d.id, created: Number(d.createdAt), status: mapAfterpayStatus(d.status), currency });
  }

  const fakes = {
    STRIPE: new StripeFake(`sk_test_prop${seed}stripe0000000`, stripe),
    WOOSHPAY: new WooshPayFake(`sk_test_prop${seed}woosh00000000`, wooshpay),
    FLEX: new FlexFake(`fsk_test_prop${seed}flex0000000`, flex),
    AFTERPAY: new AfterpayFake('100200300', `apsk_prop${seed}afterpay000`, afterpay),
  };
  const urls = await Promise.all(Object.values(fakes).map((f) => f.start()));
  const [s, w, f, a] = urls;
  return {
    env: {
      STRIPE_SECRET_KEY: fakes.STRIPE.secretKey,
      STRIPE_API_BASE: s!,
      WOOSHPAY_SECRET_KEY: fakes.WOOSHPAY.secretKey,
      WOOSHPAY_API_BASE: w!,
      FLEX_API_KEY: fakes.FLEX.apiKey,
      FLEX_API_BASE: f!,
      AFTERPAY_MERCHANT_ID: fakes.AFTERPAY.merchantId,
      AFTERPAY_SECRET_KEY: fakes.AFTERPAY.secretKey,
      AFTERPAY_API_BASE: a!,
      AFTERPAY_ENVIRONMENT: 'sandbox',
      STRIPE_RATE_LIMIT: '0',
      WOOSHPAY_RATE_LIMIT: '0',
      FLEX_RATE_LIMIT: '0',
      AFTERPAY_RATE_LIMIT: '0',
    },
    servers: new Map(Object.entries(fakes).map(([name, fake]) => [name as ProviderName, fake.server])),
    records,
    close: async () => {
      await Promise.all(Object.values(fakes).map((x) => x.close()));
    },
  };
}
