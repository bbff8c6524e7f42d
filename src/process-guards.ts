// Nothing a request does may take the process down: an unhandled rejection or an uncaught
// exception is logged (redacted, like every line) and counted, and the gateway keeps serving.
import type { EventEmitter } from 'node:events';
import type { Logger } from './logger.js';

export interface ProcessStats {
  unhandledRejections: number;
  uncaughtExceptions: number;
}

export function installProcessGuards(logger: Logger, target: EventEmitter = process): ProcessStats {
  const stats: ProcessStats = { unhandledRejections: 0, uncaughtExceptions: 0 };
  target.on('unhandledRejection', (reason: unknown) => {
    stats.unhandledRejections += 1;
    logger.error('unhandled rejection', { error: reason, count: stats.unhandledRejections });
  });
  target.on('uncaughtException', (error: unknown) => {
    stats.uncaughtExceptions += 1;
    logger.error('uncaught exception', { error, count: stats.uncaughtExceptions });
  });
  return stats;
}
