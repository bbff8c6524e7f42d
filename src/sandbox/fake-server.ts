// A small HTTP server that provider fakes plug a handler into. It records every request (so
// tests can count upstream calls) and can be told to misbehave (so tests can inject faults).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
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
}

export interface Fault {
  /** Which requests it applies to; all when omitted. */
  match?: (req: FakeRequest) => boolean;
  /** How many matching requests it answers before it is spent; unlimited when omitted. */
  times?: number;
  status: number;
  /** Sent verbatim when a string, as JSON otherwise. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private faults: Fault[] = [];
  private server: Server | undefined;
  private baseUrl = '';

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

  /** Recorded requests matching a method and a path pattern. */
  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path)).length;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const fr: FakeRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push({ method: fr.method, path: fr.path, query: url.search, headers: fr.headers, body: fr.body });
        void this.answer(fr).then(
          (out) => {
            const payload = out.body === undefined ? '' : typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
            res.writeHead(out.status, { 'content-type': 'application/json', ...this.stamp(), ...out.headers });
            res.end(payload);
          },
          (err: unknown) => {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: { type: 'api_error', message: `fake failed: ${String(err)}` } }));
          },
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

  private async answer(req: FakeRequest): Promise<FakeResponse> {
    const i = this.faults.findIndex((f) => (f.times === undefined || f.times > 0) && (!f.match || f.match(req)));
    if (i >= 0) {
      const f = this.faults[i]!;
      if (f.times !== undefined) f.times -= 1;
      return { status: f.status, body: f.body, headers: f.headers };
    }
    return this.handler(req);
  }
}
