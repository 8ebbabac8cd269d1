// Limits on one upstream attempt beyond body silence: an overall deadline (headers and the whole
// body) and a minimum transfer rate measured over fixed windows. A slow-drip upstream that sends a
// byte now and then never trips a silence timeout; it trips one of these, and the attempt fails
// with UPSTREAM_TIMEOUT naming the upstream, so the chain moves on (`|`) or the client gets a 504.
import { Transform, pipeline, type Readable } from 'node:stream';
import { ModgateError } from '../errors/modgate-error.js';

export interface TransferLimits {
  /** Longest one attempt may take, from the request to the body's last byte; 0 = no limit. */
  readonly deadlineMs: number;
  /** Least bytes per second the body must average over each window; 0 = no minimum. */
  readonly minBytesPerSecond: number;
  /** Length of a rate window in ms (the first window starts when the body does). */
  readonly rateWindowMs: number;
}

export interface TransferGuard {
  /** Aborted (reason: the limit error) when a limit is broken; pass it to the request. */
  readonly signal: AbortSignal;
  /** The broken limit, once one is. */
  readonly failure: ModgateError | undefined;
  /** The body passed through with its bytes counted; destroyed with the limit error when one breaks. */
  watch(body: Readable): Readable;
  /** Stops the timers (the attempt ended); a watched body stops them itself when it ends or fails. */
  done(): void;
}

/** Starts the deadline clock for one attempt on `what` (an upstream URL without credentials). */
export function createTransferGuard(what: string, limits: TransferLimits): TransferGuard {
  const controller = new AbortController();
  let failure: ModgateError | undefined;
  let watched: Readable | undefined;
  let rateTimer: NodeJS.Timeout | undefined;
  const fail = (reason: string): void => {
    if (failure) return;
    failure = new ModgateError('UPSTREAM_TIMEOUT', `${what}: ${reason}`, { hint: 'limits: upstreamAttemptTimeoutMs, upstreamMinBytesPerSecond (an upstream followed by "|" is then skipped)' });
    done();
    controller.abort(failure);
    watched?.destroy(failure);
  };
  const deadline = limits.deadlineMs > 0 ? setTimeout(() => fail(`no complete answer within ${limits.deadlineMs} ms (attempt deadline)`), limits.deadlineMs) : undefined;
  deadline?.unref();
  function done(): void {
    clearTimeout(deadline);
    clearInterval(rateTimer);
  }

  return {
    signal: controller.signal,
    get failure() {
      return failure;
    },
    watch(body) {
      let windowBytes = 0;
      const out = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          windowBytes += chunk.length;
          cb(null, chunk);
        },
      });
      watched = out;
      if (limits.minBytesPerSecond > 0 && limits.rateWindowMs > 0) {
        const least = Math.ceil((limits.minBytesPerSecond * limits.rateWindowMs) / 1000);
        rateTimer = setInterval(() => {
          if (windowBytes < least) {
            fail(`transfer too slow: ${windowBytes} bytes in ${limits.rateWindowMs} ms, below the minimum of ${limits.minBytesPerSecond} bytes/s`);
          }
          windowBytes = 0;
        }, limits.rateWindowMs);
        rateTimer.unref();
      }
      // pipeline destroys the upstream body when `out` is destroyed (limit broken, consumer gone).
      pipeline(body, out, () => done());
      if (failure) out.destroy(failure);
      return out;
    },
    done,
  };
}
