// A fake provider's webhooks: every state change the fake makes (a close, evidence staged or
// submitted, a new dispute) is sent to the gateway as the provider would send it — signed with the
// provider's own scheme (its sandbox signer, sandbox/types.ts WebhookSigner), retried with backoff on anything but a
// 2xx, at least once. Nothing is sent until the fake is told where (`deliverTo`).
import { randomBytes } from 'node:crypto';
import type { WebhookSigner } from './types.js';

/** What a test or the sandbox sees of a fake's webhooks. */
export interface FakeWebhooks {
  /** The secret the fake signs with (also in the fake's env). */
  readonly secret: string;
  /** Start (or, with null, stop) delivering to `<url>` (the gateway's /webhooks/<provider>[/<account>]). */
  deliverTo(url: string | null): void;
  /** Resolves when every event sent so far was delivered or given up on. */
  settle(): Promise<void>;
  /** Every delivery attempt's answer, in order (status 0: no answer). */
  readonly attempts: { id: string; status: number }[];
  /** Adds a new dispute to the fake and announces it (where the fake can). */
  newDispute?(): string;
}

const RETRY_DELAYS_MS = [200, 1_000, 5_000];
const MAX_IN_FLIGHT = 200;
const MAX_ATTEMPTS_KEPT = 2_000;

export class FakeWebhookSender implements FakeWebhooks {
  private target: string | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  readonly attempts: { id: string; status: number }[] = [];
  newDispute?: () => string;

  constructor(
    private readonly sign: WebhookSigner,
    readonly secret: string,
    /** The URL the provider signs with, where its scheme covers one (Afterpay). */
    private readonly signedUrl?: string,
  ) {}

  deliverTo(url: string | null): void {
    this.target = url;
  }

  /** Sends one event's body; `id` names the delivery (Svix's message id), kept across retries. */
  emit(body: unknown, id = `msg_${randomBytes(12).toString('hex')}`): void {
    const target = this.target;
    if (!target || this.inFlight.size >= MAX_IN_FLIGHT) return;
    const text = JSON.stringify(body);
    const p = this.deliver(target, text, id).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async deliver(target: string, body: string, id: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let status = 0;
      try {
        // Signed again on every attempt, with the time of sending, as providers do.
        const headers = await this.sign(body, this.secret, { timestampS: Math.floor(Date.now() / 1000), id, url: this.signedUrl });
        const res = await fetch(target, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
        status = res.status;
        await res.arrayBuffer();
      } catch {
        status = 0;
      }
      this.attempts.push({ id, status });
      if (this.attempts.length > MAX_ATTEMPTS_KEPT) this.attempts.splice(0, this.attempts.length - MAX_ATTEMPTS_KEPT);
      if ((status >= 200 && status < 300) || attempt >= RETRY_DELAYS_MS.length || this.target !== target) return;
      await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
    }
  }

  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

/** A webhook secret for a fake: Svix's form (whsec_ and base64) suits every provider's check. */
export const fakeWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;
