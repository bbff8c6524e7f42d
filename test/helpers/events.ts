// Clients for the event tests: an SSE subscriber (fetch, reading the stream as it comes), a
// graphql-ws subscriber (the graphql-ws client over the ws package), and signed webhook posts.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { sandboxProviderOf } from '../../src/sandbox/registry.js';
import type { ProviderName } from '../../src/domain/dispute.js';

export interface Subscriber {
  /** Every `next` payload received, in order. */
  payloads: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] }[];
  /** Resolves when `n` payloads have arrived (or rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<void>;
  /** Whether the stream ended (complete, or the connection closed). */
  ended(): boolean;
  close(): void;
}

function collector(): { sub: Omit<Subscriber, 'close'>; push(p: Subscriber['payloads'][number]): void; end(): void } {
  const payloads: Subscriber['payloads'] = [];
  let done = false;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  return {
    push(p) {
      payloads.push(p);
      notify();
    },
    end() {
      done = true;
      notify();
    },
    sub: {
      payloads,
      ended: () => done,
      waitFor(n, ms = 5_000) {
        return new Promise<void>((resolve, reject) => {
          const check = () => {
            if (payloads.length >= n) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve();
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`waited ${ms} ms for ${n} payloads, got ${payloads.length}: ${JSON.stringify(payloads).slice(0, 500)}`));
          }, ms);
          waiters.add(check);
          check();
        });
      },
    },
  };
}

/** Subscribes over server-sent events (POST, Accept: text/event-stream); resolves once the stream is open. */
export async function sseSubscribe(url: string, query: string, variables: Record<string, unknown> = {}, key?: string): Promise<Subscriber> {
  const c = collector();
  const abort = new AbortController();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(key && { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  if (!res.ok || !res.body) throw new Error(`SSE refused: ${res.status} ${await res.text()}`);
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const event = /^event: (.*)$/m.exec(message)?.[1];
          const data = message
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (event === 'next' && data) c.push(JSON.parse(data));
          if (event === 'complete') c.end();
        }
      }
    } catch {
      // aborted
    }
    c.end();
  })();
  return { ...c.sub, close: () => abort.abort() };
}

/** Subscribes over WebSocket with graphql-ws; resolves once the server acknowledged the connection. */
export async function wsSubscribe(url: string, query: string, variables: Record<string, unknown> = {}, key?: string): Promise<Subscriber & { client: Client }> {
  const c = collector();
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : undefined,
    retryAttempts: 0,
    lazy: false,
    // The refusal is the test's to judge, not the console's.
    onNonLazyError: () => {},
  });
  await new Promise<void>((resolve, reject) => {
    const offOk = client.on('connected', () => {
      offOk();
      resolve();
    });
    const offClosed = client.on('closed', (e) => {
      offClosed();
      reject(new Error(`closed: ${(e as { code?: number }).code}`));
    });
  });
  client.subscribe(
    { query, variables },
    {
      next: (p) => c.push(p as never),
      error: (e) => {
        c.push({ errors: Array.isArray(e) ? e : [{ message: String((e as Error).message ?? e) }] });
        c.end();
      },
      complete: () => c.end(),
    },
  );
  return { ...c.sub, client, close: () => void client.dispose() };
}

/** POSTs a body to a provider's webhook endpoint, signed as that provider signs it. */
export async function postWebhook(
  origin: string,
  provider: ProviderName,
  body: unknown,
  secret: string,
  opts: { account?: string; timestampS?: number; id?: string; url?: string; tamper?: boolean } = {},
): Promise<{ status: number; text: string }> {
  const text = JSON.stringify(body);
  const headers = await sandboxProviderOf(provider).signWebhook!(text, secret, {
    timestampS: opts.timestampS ?? Math.floor(Date.now() / 1000),
    id: opts.id ?? `msg_${Math.random().toString(36).slice(2)}`,
    url: opts.url,
  });
  const path = `/webhooks/${provider.toLowerCase()}${opts.account ? `/${opts.account}` : ''}`;
  const res = await fetch(`${origin}${path}`, { method: 'POST', headers, body: opts.tamper ? text.replace(/}$/, ' }') : text });
  return { status: res.status, text: await res.text() };
}
