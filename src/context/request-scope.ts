// What one HTTP request carries through everything it causes, asynchronously: who is calling
// (for fair shares of a provider's rate limit), how many upstream calls it made, and the errors it
// produced by code (for the one log line each request writes). AsyncLocalStorage, so provider
// clients and the error mask need no extra parameter.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestScope {
  requestId: string;
  /** The API key's name; "anonymous" on an open gateway. */
  caller: string;
  /** Upstream attempts made for this request, retries included. */
  upstreamCalls: number;
  /** GraphQL errors this request answered with, by extensions.code. */
  errors: Record<string, number>;
  /** The operation names seen (batches have several); bounded. */
  operations: string[];
  /** Runs the request's work inside another context too (its trace span), when tracing is on. */
  wrap?: <T>(fn: () => T) => T;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function newScope(requestId: string, caller: string): RequestScope {
  return { requestId, caller, upstreamCalls: 0, errors: {}, operations: [] };
}

export const runInScope = <T>(scope: RequestScope, fn: () => T): T => storage.run(scope, scope.wrap ? () => scope.wrap!(fn) : fn);

/** Who the current work is for: the request's caller, or "internal" outside any request. */
export const currentCaller = (): string => storage.getStore()?.caller ?? 'internal';

export function countError(code: string): void {
  const scope = storage.getStore();
  if (scope) scope.errors[code] = (scope.errors[code] ?? 0) + 1;
}

export function countUpstreamCall(): void {
  const scope = storage.getStore();
  if (scope) scope.upstreamCalls += 1;
}

export function noteOperation(name: string | null | undefined): void {
  const scope = storage.getStore();
  if (scope && scope.operations.length < 10) scope.operations.push(name || 'anonymous');
}
