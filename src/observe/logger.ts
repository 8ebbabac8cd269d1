// Creates the process logger (pino): JSON lines, or pretty output when asked or on a terminal.
// Credentials never reach it: upstream names are redacted before logging, and headers are not logged.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  readonly level: string;
  readonly format: 'auto' | 'json' | 'pretty';
  /** Destination stream (default stdout). */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const dest = opts.destination ?? process.stdout;
  const isTty = (dest as { isTTY?: boolean }).isTTY === true;
  const usePretty = opts.format === 'pretty' || (opts.format === 'auto' && isTty);
  // No redaction pass: nothing modgate logs carries credentials (upstream URLs are redacted where
  // they are named, headers are never logged), and redaction costs on every request line.
  const base = { level: opts.level, base: null };
  if (usePretty) {
    return pino(base, pretty({ colorize: isTty, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: dest }));
  }
  if (dest === process.stdout) return pino(base, pino.destination({ fd: 1, sync: false }));
  return pino(base, dest);
}
