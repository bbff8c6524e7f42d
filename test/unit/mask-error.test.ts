import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { BadUserInput, ProviderError } from '../../src/domain/errors.js';
import { makeMaskError } from '../../src/graphql/errors.js';
import { createLogger } from '../../src/logger.js';

const SECRET = 'sk_live_maskTest0000000000000000';
const setup = () => {
  const lines: string[] = [];
  return { lines, mask: makeMaskError(createLogger({ secrets: [SECRET], write: (l) => lines.push(l) })) };
};
// How executors hand errors over: a located GraphQLError, sometimes wrapped twice.
const located = (cause: Error) =>
  new GraphQLError(cause.message, { path: ['disputes'], originalError: new GraphQLError(cause.message, { originalError: cause }) });

describe('error masking', () => {
  it('masks an unexpected error, keeps its path, and logs the cause without secrets', () => {
    const { lines, mask } = setup();
    const out = mask(located(new TypeError(`cannot read x of undefined near ${SECRET}`)), 'Unexpected error.') as GraphQLError;
    expect(out.message).toBe('Unexpected error.');
    expect(out.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(out.path).toEqual(['disputes']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('cannot read x of undefined');
    expect(lines[0]).not.toContain(SECRET);
  });

  it('turns a provider error into its code, provider and provider code, redacted', () => {
    const { mask } = setup();
    const err = new ProviderError({
      code: 'PROVIDER_AUTH_FAILED',
      provider: 'STRIPE',
      message: `Stripe answered HTTP 401: Invalid API Key provided: ${SECRET}`,
      status: 401,
      requestId: 'req_1',
    });
    const out = mask(located(err), 'Unexpected error.') as GraphQLError;
    expect(out.extensions).toEqual({ code: 'PROVIDER_AUTH_FAILED', provider: 'STRIPE', providerName: 'Stripe', providerStatus: 401, requestId: 'req_1' });
    expect(out.message).not.toContain(SECRET);
  });

  it('keeps bad input as BAD_USER_INPUT with the field', () => {
    const { mask } = setup();
    const out = mask(located(new BadUserInput('first must be between 1 and 100', 'first')), 'Unexpected error.') as GraphQLError;
    expect(out.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
  });
});
