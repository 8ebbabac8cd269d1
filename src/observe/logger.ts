// Creates the process logger (pino): JSON lines, or pretty output when asked or on a terminal.
// Credentials never reach it: upstream names are redacted before logging, and headers are not logged.
// JSON lines to stdout are written asynchronously: request-flow lines in batches (64 KiB, or what
// 50 ms gathered: a busy server logs a line per answer, and a write per line costs more than the
// answer when stdout is a pipe), the logger's own lines at the end of their event-loop turn;
// whatever is pending is written out on exit. The request-flow log builds its lines itself
// and hands them to rawLineWriter(logger), in order with the logger's own lines.
import { pino, type Logger } from 'pino';
import { createRequire } from 'node:module';
import fs from 'node:fs';

export type { Logger };

export interface LoggerOptions {
  readonly level: string;
  readonly format: 'auto' | 'json' | 'pretty';
  /** Destination stream (default stdout). */
  readonly destination?: NodeJS.WritableStream;
  /**
   * Other processes write to the same stdout (`--workers N`: the primary and its workers): batches
   * are written in pieces of at most PIPE_BUF bytes of whole lines. Alone, a batch is one write.
   */
  readonly sharedStdout?: boolean;
}

/** Bytes gathered before a batch is written at once. */
const BATCH_BYTES = 64 * 1024;
/** Longest wait of a line before its batch is written. */
const BATCH_MS = 50;

/**
 * The largest write to a pipe that POSIX keeps whole when several processes write to it (Linux:
 * 4096): the workers of `--workers N` share the primary's stdout, so a batch is written in pieces
 * of whole lines up to this size, and no line is cut by another worker's write.
 */
const PIPE_BUF = 4096;

/** `s` (whole lines) cut at line ends into pieces of at most PIPE_BUF bytes (a longer line is a piece of its own). */
export function atomicPieces(s: string): string[] {
  if (s.length <= PIPE_BUF / 3 || Buffer.byteLength(s) <= PIPE_BUF) return [s];
  const pieces: string[] = [];
  let start = 0;
  while (start < s.length) {
    // (Up to PIPE_BUF / 3 UTF-16 units are at most PIPE_BUF UTF-8 bytes.)
    if (s.length - start <= PIPE_BUF / 3) {
      pieces.push(s.slice(start));
      break;
    }
    // The last line end within PIPE_BUF bytes; only the candidate piece is measured.
    let cut = s.lastIndexOf('\n', start + PIPE_BUF - 1);
    while (cut >= start && Buffer.byteLength(s.slice(start, cut + 1)) > PIPE_BUF) cut = s.lastIndexOf('\n', cut - 1);
    // No line end within reach: the (long) line up to its end goes alone.
    const end = cut >= start ? cut + 1 : s.indexOf('\n', start) + 1 || s.length;
    pieces.push(s.slice(start, end));
    start = end;
  }
  return pieces;
}

const rawWriters = new WeakMap<Logger, (line: string) => void>();

/**
 * Where complete JSON lines (as pino would write them: `{"level":30,"time":...,"msg":...}\n`) go,
 * for a logger made by createLogger with JSON output; undefined for pretty output or other loggers.
 */
export function rawLineWriter(logger: Logger): ((line: string) => void) | undefined {
  return rawWriters.get(logger);
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
  if (dest !== process.stdout) {
    const logger = pino(base, dest);
    rawWriters.set(logger, (line) => void dest.write(line));
    return logger;
  }
  const shared = opts.sharedStdout === true;
  const sink = batching(fdWriter(1, shared), shared ? atomicPieces : (x) => [x]);
  const logger = pino(base, sink);
  rawWriters.set(logger, (line) => sink.writeBatched(line));
  return logger;
}

/** What the batches are handed to: asynchronous writes in order, and what is left written synchronously at exit. */
interface Writer {
  write(piece: string): void;
  /** Calls `cb` once everything handed over was written (or could not be: the descriptor failed). */
  flush(cb: () => void): void;
  /** Writes what is waiting, synchronously (at exit). */
  flushSync(): void;
}

/** An EAGAIN write (a non-blocking pipe that is full) is tried again after this long. */
const RETRY_MS = 10;

/**
 * Writes to file descriptor `fd` with one asynchronous write in flight (the thread pool's: a slow
 * reader of a pipe never blocks the event loop), the rest waiting in order; strings go to fs.write
 * as they are (no Buffer per write: external memory makes the collector run). With `separate`
 * each piece is its own write (see atomicPieces); else what waits is joined into one write. A
 * partial write continues with the bytes not written. When the descriptor fails (EPIPE: the
 * reader is gone) what waits is dropped: there is nowhere to log.
 */
function fdWriter(fd: number, separate: boolean): Writer {
  const waiting: string[] = [];
  let inFlight: string | Buffer | undefined;
  let failed = false;
  let flushed: Array<() => void> = [];
  const settle = (): void => {
    const cbs = flushed;
    flushed = [];
    for (const cb of cbs) cb();
  };
  const next = (): void => {
    if (waiting.length === 0 || failed) {
      inFlight = undefined;
      if (failed) waiting.length = 0;
      settle();
      return;
    }
    inFlight = separate || waiting.length === 1 ? waiting.shift()! : waiting.splice(0).join('');
    issue();
  };
  const issue = (): void => {
    const out = inFlight!;
    if (typeof out === 'string') fs.write(fd, out, null, 'utf8', done);
    else fs.write(fd, out, 0, out.length, null, done);
  };
  const done = (err: NodeJS.ErrnoException | null, written: number): void => {
    if (err) {
      if (err.code === 'EAGAIN' || err.code === 'EBUSY') {
        setTimeout(issue, RETRY_MS);
        return;
      }
      failed = true;
      return next();
    }
    const out = inFlight!;
    const length = typeof out === 'string' ? Buffer.byteLength(out) : out.length;
    if (written < length) {
      inFlight = (typeof out === 'string' ? Buffer.from(out) : out).subarray(written);
      return issue();
    }
    next();
  };
  return {
    write(piece) {
      if (failed) return;
      waiting.push(piece);
      if (inFlight === undefined) next();
    },
    flush(cb) {
      if (inFlight === undefined) cb();
      else flushed.push(cb);
    },
    flushSync() {
      // (A write still in flight is the thread pool's; what waits goes after it.)
      for (const piece of waiting.splice(0)) {
        const b = Buffer.from(piece);
        for (let off = 0; off < b.length && !failed; ) {
          try {
            off += fs.writeSync(fd, b, off, b.length - off);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') failed = true;
          }
        }
      }
    },
  };
}

/**
 * The destination as the sink of lines written in batches (flushed synchronously at exit): the
 * logger's own lines (start, reloads, warnings, errors) are written at the end of the event-loop
 * turn that logged them, request-flow lines (writeBatched) within BATCH_MS; one buffer keeps
 * them in the order they were logged.
 */
function batching(out: Writer, pieces: (s: string) => string[]): { write(s: string): boolean; writeBatched(s: string): void; flush(cb?: (err?: Error) => void): void } {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  let soon: NodeJS.Immediate | undefined;
  const drain = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (soon !== undefined) {
      clearImmediate(soon);
      soon = undefined;
    }
    if (pending === '') return;
    const s = pending;
    pending = '';
    for (const piece of pieces(s)) out.write(piece);
  };
  process.on('exit', () => {
    drain();
    out.flushSync();
  });
  return {
    write(s) {
      pending += s;
      soon ??= setImmediate(drain);
      return true;
    },
    writeBatched(s) {
      pending += s;
      if (pending.length >= BATCH_BYTES) drain();
      else timer ??= setTimeout(drain, BATCH_MS).unref();
    },
    flush(cb) {
      drain();
      out.flush(() => cb?.());
    },
  };
}
