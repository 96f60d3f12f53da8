/**
 * @module observe/logger
 * The process logger (pino, JSON lines on stderr so stdout stays for the banner and CLI output).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'topicd' } }, pino.destination(2));
}
