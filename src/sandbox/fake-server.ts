// A small HTTP server that provider fakes plug a handler into. It records every request (so
// tests can count upstream calls) and can be told to misbehave (so tests can inject faults).
import type { ExpectedDispute, ProviderFake } from './types.js';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRng } from './random.js';
import type { FakeWebhookSender } from './webhooks.js';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body's bytes (files, multipart). */
  raw: Buffer;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The bytes of a multipart body (files), kept for inspection. */
  raw?: Buffer;
}

export interface Fault {
  /** Which requests it applies to; all when omitted. */
  match?: (req: FakeRequest) => boolean;
  /** How many matching requests it answers before it is spent; unlimited when omitted. */
  times?: number;
  /** The share of matching requests it hits (0..1), drawn from a seeded generator; all when omitted. */
  rate?: number;
  /**
   * What goes wrong: `status` answers with it (and `body`/`headers`); `hang` never answers;
   * `reset` sends headers and half a body, then resets the connection; `lost` lets the request
   * take effect and then resets the connection before any answer (a response lost in transit).
   */
  status?: number;
  hang?: boolean;
  reset?: boolean;
  lost?: boolean;
  /** Sent verbatim when a string, as JSON otherwise. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Answer (or misbehave) only after this long. */
  delayMs?: number;
}

export type Handler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

/** How many requests a fake keeps for inspection; the oldest go first (a long sandbox stays small). */
export const MAX_RECORDED_REQUESTS = 2_000;

export class FakeServer {
  /** The most recent requests, at most MAX_RECORDED_REQUESTS (plus a quarter, trimmed in steps). */
  readonly requests: RecordedRequest[] = [];
  /** Every request ever received, counted (requests.length stops growing). */
  received = 0;
  private faults: Fault[] = [];
  private server: Server | undefined;
  private baseUrl = '';
  /** Requests answered by an injected fault, by kind. */
  readonly faultsServed = { status: 0, hang: 0, reset: 0, lost: 0 };
  private random = createRng(0x5eed).next;

  /** `stamp` adds headers to every response, faults included (e.g. a request id). */
  constructor(
    private readonly handler: Handler,
    private readonly stamp: () => Record<string, string> = () => ({}),
  ) {}

  get url(): string {
    return this.baseUrl;
  }

  /** Queue a fault; the first matching unspent fault answers instead of the handler. */
  injectFault(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Reseeds the generator behind `rate` faults, for reproducible fault runs. */
  seedFaults(seed: number): void {
    this.random = createRng(seed).next;
  }

  /** Recorded requests matching a method and a path pattern. */
  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path)).length;
  }

  /** Keeps the request for the tests' counts, at most about MAX_RECORDED_REQUESTS of them (multipart bodies raw too). */
  private record(fr: FakeRequest, search: string): void {
    this.received += 1;
    this.requests.push({
      method: fr.method,
      path: fr.path,
      query: search,
      headers: fr.headers,
      body: fr.body,
      ...(/^multipart\//.test(fr.headers['content-type'] ?? '') && { raw: fr.raw }),
    });
    if (this.requests.length > MAX_RECORDED_REQUESTS * 1.25) this.requests.splice(0, this.requests.length - MAX_RECORDED_REQUESTS);
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const raw = Buffer.concat(chunks);
        const fr: FakeRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: raw.toString('utf8'),
          raw,
        };
        this.record(fr, url.search);
        const send = (out: FakeResponse) => {
          const payload = out.body === undefined ? '' : typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
          res.writeHead(out.status, { 'content-type': 'application/json', ...this.stamp(), ...out.headers });
          res.end(payload);
        };
        void this.answer(fr).then(
          async (action) => {
            if (action.delayMs) await new Promise((r) => setTimeout(r, action.delayMs));
            if (action.kind === 'hang') return; // the socket stays open until the client gives up
            if (action.kind === 'reset') {
              const out = action.response;
              const payload = JSON.stringify(out.body ?? { partial: 'x'.repeat(64) });
              res.writeHead(out.status, { 'content-type': 'application/json', 'content-length': String(payload.length), ...this.stamp() });
              res.write(payload.slice(0, Math.floor(payload.length / 2)));
              setImmediate(() => res.socket?.destroy());
              return;
            }
            if (action.kind === 'lost') {
              res.socket?.destroy();
              return;
            }
            send(action.response);
          },
          (err: unknown) => send({ status: 500, body: { error: { type: 'api_error', message: `fake failed: ${String(err)}` } } }),
        );
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    this.baseUrl = `http://${host}:${addr.port}`;
    return this.baseUrl;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(req: FakeRequest): Promise<{ kind: 'answer' | 'hang' | 'reset' | 'lost'; response: FakeResponse; delayMs?: number }> {
    const i = this.faults.findIndex(
      (f) => (f.times === undefined || f.times > 0) && (!f.match || f.match(req)) && (f.rate === undefined || this.random() < f.rate),
    );
    if (i < 0) return { kind: 'answer', response: await this.handler(req) };
    const f = this.faults[i]!;
    if (f.times !== undefined) f.times -= 1;
    if (f.lost) {
      // The request takes effect; only its answer is lost.
      const response = await this.handler(req);
      this.faultsServed.lost += 1;
      return { kind: 'lost', response, delayMs: f.delayMs };
    }
    if (f.hang) {
      this.faultsServed.hang += 1;
      return { kind: 'hang', response: { status: 0 }, delayMs: f.delayMs };
    }
    const response: FakeResponse = { status: f.status ?? 500, body: f.body, headers: f.headers };
    if (f.reset) {
      this.faultsServed.reset += 1;
      return { kind: 'reset', response, delayMs: f.delayMs };
    }
    this.faultsServed.status += 1;
    return { kind: 'answer', response, delayMs: f.delayMs };
  }
}

/** A running provider fake as the sandbox and the tests hold it. */
export function fakeHandle(
  fake: { server: FakeServer; ordered(): string[]; closesExecuted: number; close(): Promise<void> },
  url: string,
  env: Record<string, string>,
  expected: () => ExpectedDispute[],
  webhooks?: FakeWebhookSender,
): ProviderFake {
  return {
    url,
    env,
    server: fake.server,
    ordered: () => fake.ordered(),
    closesExecuted: () => fake.closesExecuted,
    close: async () => {
      webhooks?.deliverTo(null);
      await fake.close();
    },
    expected,
    webhooks,
  };
}
