// Reading provider settings from the environment, with errors that name the variable.
import { parse as parseYaml } from 'yaml';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function positiveIntEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

export function nonNegativeIntEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/** How the gateway calls one provider: the same settings, under the provider's own prefix. */
export interface PipelineSettings {
  /** Connect, response headers and body, each; and the base of the per-operation retry budget. */
  timeoutMs: number;
  /** Client-side requests per second; 0 turns the limit off. */
  ratePerSecond: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
}

export function pipelineSettings(env: NodeJS.ProcessEnv, prefix: string, defaults: { timeoutMs: number; ratePerSecond: number }): PipelineSettings {
  return {
    timeoutMs: positiveIntEnv(env, `${prefix}_TIMEOUT_MS`, defaults.timeoutMs),
    ratePerSecond: nonNegativeIntEnv(env, `${prefix}_RATE_LIMIT`, defaults.ratePerSecond),
    breakerThreshold: positiveIntEnv(env, `${prefix}_BREAKER_THRESHOLD`, 5),
    breakerCooldownMs: positiveIntEnv(env, `${prefix}_BREAKER_COOLDOWN_MS`, 10_000),
  };
}

/** A configuration file's document: JSON (by its name or its first character) or YAML. */
export function parseConfigDocument(source: string, origin: string): unknown {
  const text = source.trimStart();
  try {
    return origin.endsWith('.json') || text.startsWith('{') || text.startsWith('[') ? JSON.parse(source) : parseYaml(source);
  } catch (err) {
    throw new ConfigError(`${origin} is not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}
