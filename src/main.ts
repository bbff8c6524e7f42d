// `npm start`: the gateway over the providers configured in the environment, or, with none
// configured (or SANDBOX=1), over the built-in fake providers.
import { processConfig } from './config.js';
import { createLogger } from './logger.js';
import { ConfigError } from './providers/env.js';
import { providersFromEnv, secretsOf } from './providers/registry.js';
import { startSandbox, type Sandbox } from './sandbox/index.js';
import { EXAMPLE_QUERY, startGateway } from './server.js';
import { installProcessGuards } from './process-guards.js';

async function main(): Promise<void> {
  const fromEnv = providersFromEnv(process.env);
  const config = processConfig(process.env, fromEnv.length > 0);
  let sandbox: Sandbox | undefined;
  let env: NodeJS.ProcessEnv = process.env;
  if (config.sandbox) {
    sandbox = await startSandbox(config.sandboxSeed);
    env = { ...process.env, ...sandbox.env };
  }
  const providers = providersFromEnv(env);
  const logger = createLogger({ level: config.logLevel, secrets: secretsOf(providers) });
  const stats = installProcessGuards(logger);
  const gateway = await startGateway({ providers, logger, port: config.port, host: config.host, graphiql: config.graphiql, stats });

  if (sandbox) {
    process.stdout.write(
      `\nSandbox: fake providers on loopback with seeded data (seed ${config.sandboxSeed}); no credentials needed.\n` +
        `Open ${gateway.url} in a browser for GraphiQL, or try:\n\n` +
        `curl -s ${gateway.url} -H 'content-type: application/json' \\\n` +
        `  -d '{"query":"{ disputes(first: 3) { nodes { id provider amount currency status reason created } } }"}'\n\n` +
        EXAMPLE_QUERY.replace(/^/gm, '  ') +
        '\n',
    );
  }

  // Last, so whatever waits for this line has seen everything before it.
  logger.info('Dispute Gateway ready', {
    url: gateway.url,
    mode: config.sandbox ? 'sandbox' : 'live',
    providers: providers.map((p) => p.definition.name),
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal, graceMs: config.shutdownGraceMs });
    const force = setTimeout(() => process.exit(1), config.shutdownGraceMs + 5_000);
    force.unref();
    void Promise.all([gateway.close(config.shutdownGraceMs), sandbox?.close()]).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { error: err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${err.message}\n`);
  } else {
    process.stderr.write(`Dispute Gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
});
