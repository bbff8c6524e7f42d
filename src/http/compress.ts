// Compressed answers. A GraphQL answer of at least `minBytes` (1 KiB by default) goes out in the
// best encoding the client accepts by its Accept-Encoding q-values — zstd, then gzip, then brotli —
// compressed off the event loop (zlib's thread pool) at levels chosen for speed (zstd 3, brotli 4,
// gzip 6), with `Vary: Accept-Encoding`. A smaller answer, or a client that accepts none, gets
// identity. Streams (server-sent events, multipart) are not compressed: each event must reach the
// client when it is sent. The CPU this costs is measured by `npm run bench -- --compression`.
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

export type Encoding = 'zstd' | 'br' | 'gzip' | 'identity';

export interface CompressionOptions {
  /** Off: every answer identity (COMPRESSION=off). */
  enabled: boolean;
  /** Answers smaller than this go uncompressed (COMPRESSION_MIN_BYTES, 1024). */
  minBytes: number;
}

export const DEFAULT_COMPRESSION: CompressionOptions = { enabled: true, minBytes: 1024 };

const hasZstd = typeof (zlib as { zstdCompress?: unknown }).zstdCompress === 'function';

/** The best of `offered` the request accepts, by the Accept-Encoding header's q-values; identity if none. */
export function chooseEncoding(header: string | undefined, offered: readonly Encoding[] = ['br', 'gzip']): Encoding {
  if (!header) return 'identity';
  const accepted = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [token, ...params] = part.trim().split(';');
    if (!token) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(token, q === undefined ? 1 : Number(q));
  }
  return offered.find((e) => e !== 'identity' && (accepted.get(e) ?? accepted.get('*') ?? 0) > 0) ?? 'identity';
}

// Measured (`npm run bench -- --compression`, page of 100): zstd and gzip cost about a sixth of
// the throughput, brotli (quality 4) a third for 7% fewer bytes than gzip: so zstd, gzip, then brotli.
const OFFERED: readonly Encoding[] = hasZstd ? ['zstd', 'gzip', 'br'] : ['gzip', 'br'];
const zstd = hasZstd ? promisify((zlib as unknown as { zstdCompress: (b: Buffer, cb: (e: Error | null, r: Buffer) => void) => void }).zstdCompress) : null;
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

function encode(encoding: Exclude<Encoding, 'identity'>, body: Buffer): Promise<Buffer> {
  if (encoding === 'zstd') return zstd!(body);
  if (encoding === 'br') return brotli(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  return gzip(body, { level: 6 });
}

/**
 * The body to send and the headers that go with it: compressed when worth it and accepted. The
 * headers given are completed in place (content-encoding, vary, content-length).
 */
export async function compressed(req: IncomingMessage, headers: Record<string, string | number | string[]>, body: string | Buffer, opts: CompressionOptions): Promise<string | Buffer> {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (opts.enabled && length >= opts.minBytes) {
    headers.vary = headers.vary ? `${headers.vary}, Accept-Encoding` : 'Accept-Encoding';
    const encoding = chooseEncoding(req.headers['accept-encoding'], OFFERED);
    if (encoding !== 'identity') {
      const out = await encode(encoding, typeof body === 'string' ? Buffer.from(body) : body);
      headers['content-encoding'] = encoding;
      headers['content-length'] = out.length;
      return out;
    }
  }
  headers['content-length'] = length;
  return body;
}
