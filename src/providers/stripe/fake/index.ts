// Stripe's side in the sandbox: its fake, seeded, webhooks signed as Stripe signs them (also
// WooshPay's, whose scheme is assumed to be Stripe's), and its events list's test switches.
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { FakeEventList, FakeOptions, ProviderFake, SandboxProvider } from '../../../sandbox/types.js';
import { freshDispute, seedStripeAppeals, seedStripeDisputes, seedStripeOpenCe3 } from '../../../sandbox/stripe-shape/seed.js';
import { StripeFake, sandboxStripeKey } from '../../../sandbox/stripe-shape/server.js';
import { signStripeScheme } from '../../../sandbox/stripe-shape/sign.js';
import { fakeWebhookSecret, FakeWebhookSender } from '../../../sandbox/webhooks.js';
import { mapStripeStatus } from '../../kit/stripe-shape.js';

/**
 * The seeded disputes, then those the sandbox adds so it shows what newer API versions bring: an
 * open dispute eligible for CE 3.0 (seedStripeOpenCe3) and two in the appeal statuses
 * (seedStripeAppeals). `count` is the seeded number; the fake holds three more.
 */
export async function startStripeFake({ seed, count, epoch, created }: FakeOptions): Promise<ProviderFake> {
  const disputes = [...seedStripeDisputes(seed, count, epoch), seedStripeOpenCe3(seed, epoch), ...seedStripeAppeals(seed, epoch)].map((d) =>
    created ? { ...d, created: created() } : d,
  );
  const fake = new StripeFake(sandboxStripeKey(), disputes);
  const url = await fake.start();
  const expected = () => disputes.map((d) => ({ id: d.id, created: d.created, status: mapStripeStatus(d.status), currency: d.currency }));
  const webhooks = new FakeWebhookSender(signStripeScheme, fakeWebhookSecret());
  fake.webhooks = webhooks;
  webhooks.newDispute = () => {
    const d = freshDispute(seed);
    fake.add(d);
    return d.id;
  };
  const env = {
    STRIPE_RATE_LIMIT: '0',
    STRIPE_SECRET_KEY: fake.secretKey,
    STRIPE_API_BASE: url,
    STRIPE_FILES_API_BASE: url,
    STRIPE_WEBHOOK_SECRET: webhooks.secret,
  };
  const events: FakeEventList = {
    changeWithoutWebhook: (id) => {
      const event = fake.changeAtProvider(id, { webhook: false });
      return { eventId: event.id, type: event.type };
    },
    setListed: (listed) => {
      fake.eventsListed = listed;
    },
  };
  return { ...fakeHandle(fake, url, env, expected, webhooks), events };
}

export const stripeSandbox: SandboxProvider = { name: 'STRIPE', startFake: startStripeFake, signWebhook: signStripeScheme };
