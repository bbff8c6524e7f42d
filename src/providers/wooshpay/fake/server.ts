// WooshPay's fake: Stripe's protocol (see ../../stripe/fake/server.ts) with WooshPay's list path
// (/v1/disputes/list, and /v1/disputes too), JSON bodies (on GET as documented, and form bodies as
// its introduction says), JSON headers required on close, and its own statuses.
import { randomBytes } from 'node:crypto';
import { StripeFake } from '../../../sandbox/stripe-shape/server.js';
import type { StripeDispute } from '../../kit/stripe-wire.js';
import type { WooshPayDispute } from '../wire.js';

export class WooshPayFake extends StripeFake {
  constructor(secretKey: string, disputes: WooshPayDispute[]) {
    super(secretKey, disputes as unknown as StripeDispute[], {
      listPaths: ['/v1/disputes/list', '/v1/disputes'],
      jsonBodies: true,
      closeRequiresJsonHeaders: true,
      closable: new Set(['needs_response', 'warning_needs_response']),
    });
  }
}

export const sandboxWooshPayKey = (): string => `sk_test_wooshsandbox${randomBytes(12).toString('hex')}`;
