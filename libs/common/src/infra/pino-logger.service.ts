import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as Pino, type LevelWithSilent } from 'pino';

export type LogLevel = LevelWithSilent;

/** One structured JSON logger for the process; Nest's `Logger` instances write through it with their context. */
export function createRootLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Pino {
  return pino({ level, base: bindings, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } });
}

export class PinoLoggerService implements LoggerService {
  constructor(private readonly root: Pino) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Nest passes the logger's context as the last string argument; an error's stack may come before it. */
  private write(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', message: unknown, rest: unknown[]): void {
    const args = [...rest];
    const context = typeof args[args.length - 1] === 'string' ? (args.pop() as string) : undefined;
    const stack = typeof args[0] === 'string' && level === 'error' && args[0].includes('\n    at ') ? (args.shift() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (stack) fields.stack = stack;
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      // logger.log({ fields }, 'text'): Nest hands the text over as an extra argument.
      const text = args.find((a): a is string => typeof a === 'string') ?? '';
      this.root[level]({ ...fields, ...(message as Record<string, unknown>) }, text);
    } else if (message instanceof Error) {
      this.root[level]({ ...fields, err: { message: message.message, stack: message.stack } }, message.message);
    } else {
      this.root[level](fields, String(message));
    }
  }
}
