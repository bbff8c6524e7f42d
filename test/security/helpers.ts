// Shared by the security suite: gateways over the sandbox with keys, and a raw HTTP client that
// can send what fetch will not (any Host header, odd paths, any method and body).
import { request } from 'node:http';
import { KeyStore, sha256 } from '../../src/auth/keys.js';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv, secretsOf } from '../../src/providers/registry.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/server.js';

export const ADMIN = 'gk_probe_admin_5f1c9e3a7b2d4068';
export const READER = 'gk_probe_reader_8d2b6f0e4a1c3957';
export const FLOOD = 'gk_probe_flood_3c7e1a9f5b0d2846';
export const WRONG = 'gk_probe_wrong_0000000000000000';
export const CURSOR_SECRET = 'probe-cursor-secret-of-at-least-32-chars';

export function probeKeys(): KeyStore {
  return KeyStore.fromEnv(
    {
      GATEWAY_API_KEYS: JSON.stringify([
        {
          name: 'admin',
          key: `sha256:${sha256(ADMIN).toString('hex')}`,
          scopes: ['disputes:read', 'disputes:write'],
          rateLimit: { perSecond: 1000, burst: 1000 },
        },
        { name: 'reader', key: `sha256:${sha256(READER).toString('hex')}`, scopes: ['disputes:read'], rateLimit: { perSecond: 1000, burst: 1000 } },
        { name: 'flood', key: `sha256:${sha256(FLOOD).toString('hex')}`, scopes: ['disputes:read'], rateLimit: { perSecond: 1000, burst: 1000 } },
      ]),
    },
    { perSecond: 1000, burst: 1000 },
  )!;
}

export interface ProbeGateway {
  gateway: Gateway;
  logs: string[];
  secrets: string[];
}

/** A gateway over the sandbox's fakes, with every log line captured. */
export async function probeGateway(sandbox: Sandbox, opts: Partial<GatewayOptions> = {}, env: Record<string, string> = {}): Promise<ProbeGateway> {
  const providers = providersFromEnv({ ...sandbox.env, ...env });
  const secrets = [...secretsOf(providers), ADMIN, READER, FLOOD, CURSOR_SECRET];
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', secrets, write: (l) => logs.push(l) });
  const gateway = await startGateway({ providers, logger, cursorSecrets: [CURSOR_SECRET], ...opts });
  return { gateway, logs, secrets };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTP request exactly as given: method, path (not normalised), headers (Host too), body. */
export function raw(base: string, req: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const r = request(
      { host: u.hostname, port: u.port, method: req.method, path: req.path, headers: req.headers, setHost: !req.headers?.host, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

export async function gql(url: string, key: string | null, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) };
}
