// Security round three, event payloads (item 5): an event stored without its dispute (an Afterpay
// notice whose read failed when it came) has the dispute read when a client asks for it. Those
// reads count in the upstream estimate before anything runs, and a subscription event's dispute is
// read once for all its subscribers, not once per subscriber.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { AfterpayFake } from '../../src/providers/afterpay/fake/server.js';
import { postWebhook, sseSubscribe, type Subscriber } from '../helpers/events.js';
import { gql, probeGateway, type ProbeGateway } from './helpers.js';

describe('security round three: reads of event payloads', () => {
  let sandbox: Sandbox;
  let probe: ProbeGateway;
  let afterpay: AfterpayFake;
  let notices = 0;
  /** Afterpay notices for disputes its API does not know yet: each is stored without its dispute. */
  const notify = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const id = `dp_unread_${(notices += 1)}`;
      const r = await postWebhook(
        probe.gateway.url.replace(/\/graphql$/, ''),
        'AFTERPAY',
        { dispute_id: id, webhook_event_type: 'created', event_id: `apev_unread_${notices}` },
        sandbox.env.AFTERPAY_WEBHOOK_SECRET!,
        {
          url: sandbox.env.AFTERPAY_WEBHOOK_URL,
        },
      );
      expect(r.status).toBe(200);
    }
    await probe.gateway.services.events.settled();
  };
  const reads = () => afterpay.server.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v2/disputes/dp_unread_')).length;

  beforeAll(async () => {
    sandbox = await startSandbox(43, { count: 10, only: ['AFTERPAY'] });
    afterpay = sandbox.fakes.find((f) => f.name === 'AFTERPAY')!.fake as unknown as AfterpayFake;
    probe = await probeGateway(sandbox);
  });
  afterAll(async () => {
    await probe.gateway.close();
    await sandbox.close();
  });

  it('a batch of event pages asking for their disputes is refused before any read when it would pass the upstream budget', async () => {
    await notify(30);
    const before = reads();
    const aliases = Array.from({ length: 10 }, (_, i) => `e${i}: disputeEvents(first: 100) { nodes { dispute { id } } }`).join(' ');
    const refused = await gql(probe.gateway.url, null, `{ ${aliases} }`);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_EXPENSIVE');
    expect(refused.body.errors[0].extensions.estimatedUpstreamCalls).toBe(1_000);
    expect(reads()).toBe(before);

    // Within the budget, it runs: each event's dispute is read (and is still not found).
    const ok = await gql(probe.gateway.url, null, '{ disputeEvents(first: 30) { nodes { dispute { id } } } }');
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.disputeEvents.nodes).toHaveLength(30);
    expect(reads() - before).toBe(30);
  });

  it('forty subscribers of ten events cause ten reads, not four hundred', async () => {
    const subs: Subscriber[] = [];
    for (let i = 0; i < 40; i++) subs.push(await sseSubscribe(probe.gateway.url, 'subscription { disputeEvents { providerEventId dispute { id } } }'));
    try {
      const before = reads();
      await notify(10);
      for (const s of subs) await s.waitFor(10);
      for (const s of subs) expect(s.payloads.map((p) => p.data?.disputeEvents?.dispute)).toEqual(Array(10).fill(null));
      // One read on arrival (which found nothing) and one shared read on delivery, per event.
      expect(reads() - before).toBe(20);
    } finally {
      for (const s of subs) s.close();
    }
  });
});
