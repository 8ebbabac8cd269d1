// Creates the process logger (pino): JSON lines, or pretty output when asked or on a terminal.
// Credentials never reach it: upstream names are redacted before logging, and headers are not logged.
// JSON lines to stdout are written asynchronously, the lines of one event-loop turn in one write
// (a busy server logs a request line per answer); whatever is pending is written out on exit.
import { pino, type Logger } from 'pino';
import { createRequire } from 'node:module';

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
    // Loaded only for pretty output (a terminal or --log-format pretty), not by a JSON-logging server.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    return pino(base, pretty({ colorize: isTty, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: dest }));
  }
  if (dest === process.stdout) return pino(base, coalescing(pino.destination({ fd: 1, sync: false })));
  return pino(base, dest);
}

/** The destination as the sink of lines joined per event-loop turn (flushed synchronously at exit). */
function coalescing(sonic: ReturnType<typeof pino.destination>): { write(s: string): boolean; flush(cb?: (err?: Error) => void): void } {
  let pending = '';
  const drain = (): void => {
    if (pending === '') return;
    const s = pending;
    pending = '';
    sonic.write(s);
  };
  // Registered after pino's own exit hook (which flushes the destination): write what is left, then flush again.
  process.on('exit', () => {
    drain();
    sonic.flushSync();
  });
  return {
    write(s) {
      if (pending === '') setImmediate(drain);
      pending += s;
      return true;
    },
    flush(cb) {
      drain();
      cb?.();
    },
  };
}
