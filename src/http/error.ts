// A refusal written before (or instead of) GraphQL: GraphQL-shaped JSON with `extensions.code`.
import type { ServerResponse } from 'node:http';

export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}
