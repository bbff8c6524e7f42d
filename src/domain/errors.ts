// Gateway error taxonomy. Domain code throws these; the GraphQL layer turns them into
// GraphQLErrors with `extensions.code` in one place (src/graphql/errors.ts).
import type { ProviderName } from './dispute.js';

/** The client sent something the gateway cannot accept (malformed id, cursor, page size...). */
export class BadUserInput extends Error {
  readonly code = 'BAD_USER_INPUT';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'BadUserInput';
  }
}

/** A flow the provider does not offer (its client lacks the method): NOT_SUPPORTED. */
/**
 * The shared state (Redis) cannot be reached or answered late: what needs it (closes, evidence,
 * uploads) is refused rather than risk doing it twice. The message never names the address.
 */
export class ServiceUnavailable extends Error {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(message = 'The gateway cannot reach its shared state right now; nothing was sent. Retry shortly with the same idempotency key.') {
    super(message);
    this.name = 'ServiceUnavailable';
  }
}

export class NotSupported extends Error {
  readonly code = 'NOT_SUPPORTED';
  constructor(message: string) {
    super(message);
    this.name = 'NotSupported';
  }
}

/** An argument only the dispute index answers, asked while the index is off or its store unreachable: INDEX_UNAVAILABLE. */
export class IndexUnavailableError extends Error {
  readonly code = 'INDEX_UNAVAILABLE';
  constructor(
    readonly argument: string,
    why: 'off' | 'unreachable',
  ) {
    super(
      why === 'off'
        ? `${argument} needs the dispute index, which is off on this gateway (INDEX=off); ask without it for the live list`
        : `${argument} needs the dispute index, whose store cannot be reached right now; ask without it for the live list, or retry shortly`,
    );
    this.name = 'IndexUnavailableError';
  }
}

export type ProviderErrorCode = 'PROVIDER_ERROR' | 'PROVIDER_UNAVAILABLE' | 'PROVIDER_AUTH_FAILED' | 'RATE_LIMITED';

/**
 * A provider call failed. `code` is the gateway's classification; `providerCode` is the provider's
 * own error code (e.g. Stripe `resource_missing`), `requestId` its request id, `status` its HTTP status.
 * Messages are built by the gateway, never copied from a request, so they cannot carry credentials.
 */
export class ProviderError extends Error {
  readonly code: ProviderErrorCode;
  readonly provider: ProviderName;
  readonly status: number | undefined;
  readonly providerCode: string | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(init: {
    code: ProviderErrorCode;
    provider: ProviderName;
    message: string;
    status?: number;
    providerCode?: string;
    requestId?: string;
    retryable?: boolean;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ProviderError';
    this.code = init.code;
    this.provider = init.provider;
    this.status = init.status;
    this.providerCode = init.providerCode;
    this.requestId = init.requestId;
    this.retryable = init.retryable ?? false;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/**
 * Whether a provider refused the request itself (a 4xx other than 429): an answer about the request
 * or the dispute's state, not a failure to reach the provider or a rate limit.
 */
export const isProviderRefusal = (err: unknown): err is ProviderError =>
  err instanceof ProviderError && err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 429;
