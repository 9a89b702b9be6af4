// Temporal's runtime (worker, bundler, workflow and activity loggers) logs through the process's pino logger, so
// LOG_LEVEL governs it too and every line is JSON.
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from '../runtime/logger.ts';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function temporalLogger(log: Logger): TemporalLogger {
  const child = log.child({ component: 'temporal' });
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) => child[LEVELS[level]](meta ?? {}, message);
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}

let installed = false;

/** Once per process, before the first worker is created. */
export function installTemporalLogging(log: Logger): void {
  if (installed) return;
  Runtime.install({ logger: temporalLogger(log) });
  installed = true;
}
