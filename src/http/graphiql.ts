// The GraphiQL page: one HTML document with the whole explorer inlined (it works offline), about
// 9 MB as it is. It is served compressed (brotli or gzip, as the browser accepts; each made once,
// off the event loop, when first asked for) and with an ETag, so a browser that has it revalidates
// with a 304 and no body. It carries no data, so it is the one thing served without a key.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { chooseEncoding, type Encoding } from './compress.js';

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

export type GraphiqlPage = ReturnType<typeof graphiqlPage>;

export function graphiqlPage(options: { title: string; defaultQuery: string; defaultTabs?: { query: string; variables?: string }[] }) {
  // The bundled explorer (a 9 MB string in its package) is loaded and rendered when a browser first
  // asks for the page, never at startup: a gateway nobody browses does not carry it.
  let rendered: Promise<{ html: Buffer; etag: string }> | undefined;
  const page = () =>
    (rendered ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => {
      const html = Buffer.from(renderGraphiQL(options), 'utf8');
      return { html, etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 22)}"` };
    }));
  const encoded = new Map<Encoding, Promise<Buffer>>();
  const body = (e: Encoding): Promise<Buffer> => {
    let p = encoded.get(e);
    if (!p) {
      p = page().then(({ html }) =>
        e === 'identity'
          ? html
          : e === 'br'
            ? brotli(html, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: html.length } })
            : gzipped(html, { level: 9 }),
      );
      encoded.set(e, p);
    }
    return p;
  };

  return {
    async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const { etag } = await page();
      const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', etag, vary: 'accept-encoding' };
      const match = req.headers['if-none-match'];
      if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      // Brotli or gzip (chooseEncoding's default): each made once, at high levels; no third copy in zstd.
      const encoding = chooseEncoding(req.headers['accept-encoding']);
      const out = await body(encoding);
      res.writeHead(200, { ...headers, 'content-length': String(out.length), ...(encoding !== 'identity' && { 'content-encoding': encoding }) });
      res.end(req.method === 'HEAD' ? undefined : out);
    },
  };
}
