// Process-level settings from the environment. Provider settings live with each provider.
import { ConfigError, positiveIntEnv } from './providers/env.js';
import type { Level } from './logger.js';

export interface ProcessConfig {
  port: number;
  host: string;
  logLevel: Level;
  /** Run against the built-in fake providers. */
  sandbox: boolean;
  sandboxSeed: number;
  graphiql: boolean;
  /** How long SIGTERM waits for in-flight requests. */
  shutdownGraceMs: number;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export function processConfig(env: NodeJS.ProcessEnv, anyProviderConfigured: boolean): ProcessConfig {
  // PORT=0 asks the OS for a free port (the ready line says which).
  const port = env.PORT?.trim() === '0' ? 0 : positiveIntEnv(env, 'PORT', 4000);
  if (port > 65535) throw new ConfigError(`PORT must be at most 65535, got ${port}`);
  const level = (env.LOG_LEVEL?.trim() || 'info') as Level;
  if (!LEVELS.includes(level)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  const flag = (name: string) => ['1', 'true', 'yes', 'on'].includes(env[name]?.trim().toLowerCase() ?? '');
  return {
    port,
    host: env.HOST?.trim() || '127.0.0.1',
    logLevel: level,
    sandbox: flag('SANDBOX') || !anyProviderConfigured,
    sandboxSeed: env.SANDBOX_SEED?.trim() ? positiveIntEnv(env, 'SANDBOX_SEED', 42) : 42,
    graphiql: !['0', 'false', 'off', 'no'].includes(env.GRAPHIQL?.trim().toLowerCase() ?? ''),
    shutdownGraceMs: positiveIntEnv(env, 'SHUTDOWN_GRACE_MS', 10_000),
  };
}
