// What the sandbox and the tests know of a provider beyond its production contract: how to start its
// fake (a loopback server speaking its wire protocol, seeded deterministically) and how to sign a
// webhook as the provider does. Registered per provider (sandbox/registry.ts), never part of
// ProviderDefinition, so production code carries no test support.
import type { DisputeStatus, ProviderName } from '../domain/dispute.js';
import type { FakeServer } from './fake-server.js';
import type { FakeWebhooks } from './webhooks.js';

/** How a fake is seeded: `count` disputes (else its default), `epoch` anchors the sandbox timeline, `created` (unix seconds) overrides each dispute's creation time. */
export interface FakeOptions {
  seed: number;
  count?: number;
  epoch?: number;
  created?: () => number;
}

/** What the gateway must show of one seeded dispute, worked out by the fake from its own data. */
export interface ExpectedDispute {
  id: string;
  /** Unix seconds. */
  created: number;
  status: DisputeStatus;
  currency: string;
}

/** A running fake of a provider, for the sandbox and the tests. */
export interface ProviderFake {
  /** Every seeded dispute as the gateway should show it (the property tests' oracle). */
  expected(): ExpectedDispute[];
  url: string;
  /** Environment that points the gateway at this fake. */
  env: Record<string, string>;
  /** The HTTP server, for counting requests and injecting faults in tests. */
  server: FakeServer;
  /** The provider's dispute ids in the order its list serves them (newest first). */
  ordered(): string[];
  /** Closes (accepts) the fake carried out; replays and refusals are not counted. */
  closesExecuted(): number;
  /** Its signed webhooks (the secret is in env): told where to deliver, they announce every change. */
  webhooks?: FakeWebhooks;
  /** Its list of events (Stripe's GET /v1/events), where its provider has one. */
  events?: FakeEventList;
  close(): Promise<void>;
}

/** What a test can do with a fake's list of events: every change the fake makes is recorded there, webhook or not. */
export interface FakeEventList {
  /**
   * Moves a dispute one step on as the provider would on its own (a response sent: under review; under
   * review: decided; else a metadata change), recording the event in the list but delivering no
   * webhook: a missed webhook. Returns the event's id and type.
   */
  changeWithoutWebhook(disputeId: string): { eventId: string; type: string };
  /** False: the list answers 404, as a provider without an events list does (true again serves it). */
  setListed(listed: boolean): void;
}

/** Signs a webhook body as the provider does: the headers to send with it. */
export type WebhookSigner = (body: string, secret: string, opts: { timestampS: number; id: string; url?: string }) => Promise<Record<string, string>>;

/** A provider as the sandbox knows it. */
export interface SandboxProvider {
  name: ProviderName;
  /** Starts the provider's fake on a loopback port; `count` overrides the seeded number of disputes. */
  startFake(opts: FakeOptions): Promise<ProviderFake>;
  /** Signs webhooks as the provider does (absent: it sends none). */
  signWebhook?: WebhookSigner;
}
