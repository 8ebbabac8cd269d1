// Bounded retries of GETs with doubling backoff, by undici's retry interceptor: the one retry policy
// of modgate's HTTP clients (upstream proxies, prewarm). The last failing answer is handed back
// (its body names the cause), never replaced by an error of our own.
import { interceptors, type Dispatcher } from 'undici';

export interface GetRetryOptions {
  readonly statusCodes: readonly number[];
  readonly errorCodes: readonly string[];
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Wait before the first retry, doubled each time. */
  readonly backoffMs: number;
}

export function retryGets(opts: GetRetryOptions): Dispatcher.DispatcherComposeInterceptor {
  return interceptors.retry({
    methods: ['GET'],
    statusCodes: [...opts.statusCodes],
    errorCodes: [...opts.errorCodes],
    maxRetries: opts.retries,
    minTimeout: opts.backoffMs,
    timeoutFactor: 2,
    maxTimeout: Math.max(opts.backoffMs * 2 ** opts.retries, 1),
    retryAfter: false,
    throwOnError: false,
  });
}
