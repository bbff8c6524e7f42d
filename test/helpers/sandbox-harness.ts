// The sandbox as `npm start` builds it (every provider's fake, seeded) behind a real gateway.
import type { ProviderName } from '../../src/domain/dispute.js';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv, secretsOf } from '../../src/providers/registry.js';
import type { ProviderFake } from '../../src/sandbox/types.js';
import { startSandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/server.js';
import { postGraphQL, type GqlResult } from './harness.js';

export interface SandboxHarness {
  gateway: Gateway;
  fakes: Map<ProviderName, ProviderFake>;
  secrets: string[];
  logs: string[];
  responses: string[];
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
  /** Points the fakes' signed webhooks at this gateway. */
  connect(): void;
  close(): Promise<void>;
}

export async function startSandboxHarness(
  seed = 42,
  opts: SandboxOptions & { env?: Record<string, string>; gateway?: Partial<GatewayOptions> } = {},
): Promise<SandboxHarness> {
  const sandbox = await startSandbox(seed, opts);
  const providers = providersFromEnv({ ...sandbox.env, ...opts.env });
  const secrets = secretsOf(providers);
  const logs: string[] = [];
  const responses: string[] = [];
  const gateway = await startGateway({ providers, logger: createLogger({ level: 'debug', secrets, write: (l) => logs.push(l) }), port: 0, ...opts.gateway });
  return {
    gateway,
    fakes: new Map(sandbox.fakes.map(({ name, fake }) => [name, fake])),
    secrets,
    logs,
    responses,
    async gql(query, variables) {
      const result = await postGraphQL(gateway.url, query, variables);
      responses.push(result.text);
      return result;
    },
    connect() {
      sandbox.connect(new URL(gateway.url).origin);
    },
    async close() {
      await gateway.close();
      await sandbox.close();
    },
  };
}
