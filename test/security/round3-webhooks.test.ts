// Security round three, webhooks: unsigned traffic cannot starve an endpoint. A flood of unsigned
// POSTs, interleaved with correctly signed events, leaves every signed event answered 200, and the
// refusals are logged as a few summed lines, not one each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { postWebhook } from '../helpers/events.js';
import { probeGateway, type ProbeGateway } from './helpers.js';

describe('security round three: a webhook endpoint under unsigned traffic', () => {
  let sandbox: Sandbox;
  let probe: ProbeGateway;
  beforeAll(async () => {
    sandbox = await startSandbox(41, { count: 20, only: ['STRIPE'] });
    // 10 a second, a burst of 50: the flood below is eight times that.
    probe = await probeGateway(sandbox, { webhookRateLimit: 10 });
  });
  afterAll(async () => {
    await probe.gateway.close();
    await sandbox.close();
  });

  it('item 6: every correctly signed event is taken, whatever the unsigned traffic', async () => {
    const origin = new URL(probe.gateway.url).origin;
    const before = probe.logs.length;
    const dispute = (await (
      await fetch(`${sandbox.env.STRIPE_API_BASE}/v1/disputes?limit=1`, { headers: { authorization: `Bearer ${sandbox.env.STRIPE_SECRET_KEY}` } })
    ).json()) as { data: Record<string, unknown>[] };
    const event = (i: number) => ({
      id: `evt_flood_${i}`,
      object: 'event',
      type: 'charge.dispute.updated',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: { object: dispute.data[0] },
    });
    const unsigned = () =>
      fetch(`${origin}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
        body: '{"id":"evt_x"}',
      }).then((r) => r.status);
    const signed: Promise<{ status: number }>[] = [];
    const refused: Promise<number>[] = [];
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 50; i++) refused.push(unsigned());
      signed.push(postWebhook(origin, 'STRIPE', event(round), sandbox.env.STRIPE_WEBHOOK_SECRET!));
    }
    expect((await Promise.all(signed)).map((r) => r.status)).toEqual(Array(8).fill(200));
    const statuses = await Promise.all(refused);
    expect(statuses.every((s) => s === 400 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const warnings = probe.logs.slice(before).filter((l) => l.includes('webhook refused'));
    expect(warnings.length).toBeLessThanOrEqual(2);
  });
});
