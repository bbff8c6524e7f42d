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
  introspection: boolean;
  corsOrigins: string[];
  /** GATEWAY_AUTH: 'none' runs without keys outside the sandbox (loudly); else keys are required. */
  authNone: boolean;
  keyRateLimit: { perSecond: number; burst: number };
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
    graphiql: !off(env.GRAPHIQL),
    shutdownGraceMs: positiveIntEnv(env, 'SHUTDOWN_GRACE_MS', 10_000),
    introspection: !off(env.INTROSPECTION),
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
    authNone: authMode(env.GATEWAY_AUTH) === 'none',
    keyRateLimit: { perSecond: positiveIntEnv(env, 'GATEWAY_KEY_RATE_LIMIT', 50), burst: positiveIntEnv(env, 'GATEWAY_KEY_BURST', 100) },
  };
}

const off = (v: string | undefined) => ['0', 'false', 'off', 'no'].includes(v?.trim().toLowerCase() ?? '');

function corsOrigins(raw: string | undefined): string[] {
  const list = (raw ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  for (const o of list) {
    if (!/^https?:\/\/[^/\s]+$/.test(o)) throw new ConfigError(`CORS_ORIGINS entries are origins like https://app.example.com (no path), got "${o}"`);
  }
  return list;
}

function authMode(raw: string | undefined): 'none' | 'keys' {
  const v = raw?.trim().toLowerCase() || 'keys';
  if (v !== 'none' && v !== 'keys') throw new ConfigError(`GATEWAY_AUTH must be "keys" (the default) or "none", got "${raw}"`);
  return v;
}
