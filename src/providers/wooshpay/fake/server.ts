// WooshPay's fake: Stripe's protocol (see sandbox/stripe-shape/server.ts) with WooshPay's list path
// (/v1/disputes/list, and /v1/disputes too), JSON bodies (on GET as documented, and form bodies as
// its introduction says), JSON headers required on close, its own statuses, and no enhanced
// evidence. Whether WooshPay has Stripe's events list is unconfirmed: by default /v1/events answers
// 404 like any unknown path (the "not offered" reading); `eventsList: true` serves it (the other
// reading). Changes are recorded either way.
import { randomBytes } from 'node:crypto';
import { StripeFake } from '../../../sandbox/stripe-shape/server.js';
import type { StripeDispute } from '../../kit/stripe-wire.js';
import type { WooshPayDispute } from '../wire.js';

export class WooshPayFake extends StripeFake {
  constructor(secretKey: string, disputes: WooshPayDispute[], opts: { eventsList?: boolean } = {}) {
    super(secretKey, disputes as unknown as StripeDispute[], {
      listPaths: ['/v1/disputes/list', '/v1/disputes'],
      jsonBodies: true,
      closeRequiresJsonHeaders: true,
      closable: new Set(['needs_response', 'warning_needs_response']),
      eventsPath: opts.eventsList ? '/v1/events' : null,
      // Its dispute object shows no enhanced_evidence: the parameter is unknown there.
      enhancedEvidence: false,
    });
  }
}

export const sandboxWooshPayKey = (): string => `sk_test_wooshsandbox${randomBytes(12).toString('hex')}`;
