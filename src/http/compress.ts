// Compressed answers. A GraphQL answer of at least `minBytes` (1 KiB by default) goes out in the
// encoding the client prefers by its Accept-Encoding q-values; between equals, gzip, then brotli,
// then zstd (zstd only when the client ranks it above the others: some clients list it and cannot
// decode it, as graphql-codegen on Node 20 does) —
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

/**
 * The encoding of `offered` the request prefers by its Accept-Encoding q-values (`*` standing for
 * any not named); between equal q-values, the first of `offered`. Identity if it accepts none.
 */
export function chooseEncoding(header: string | undefined, offered: readonly Encoding[] = ['br', 'gzip']): Encoding {
  if (!header) return 'identity';
  const accepted = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [token, ...params] = part.trim().split(';');
    if (!token) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(token, q === undefined ? 1 : Number(q));
  }
  let best: Encoding = 'identity';
  let bestQ = 0;
  for (const e of offered) {
    const q = e === 'identity' ? 0 : (accepted.get(e) ?? accepted.get('*') ?? 0);
    if (q > bestQ) {
      best = e;
      bestQ = q;
    }
  }
  return best;
}

// Between equal q-values: gzip, then brotli, then zstd. Measured (`npm run bench -- --compression`,
// page of 100): gzip costs about a sixth of the throughput, brotli (quality 4) a third for 7% fewer
// bytes, so gzip goes before brotli (the bench's reason to differ from the usual br-first order);
// zstd, as cheap as gzip, is sent only to a client that ranks it higher, since some clients list it
// without being able to decode it.
const OFFERED: readonly Encoding[] = hasZstd ? ['gzip', 'br', 'zstd'] : ['gzip', 'br'];
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
export async function compressed(
  req: IncomingMessage,
  headers: Record<string, string | number | string[]>,
  body: string | Buffer,
  opts: CompressionOptions,
): Promise<string | Buffer> {
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
