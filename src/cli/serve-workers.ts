// `modgate serve --workers N`: the primary process forks N workers (node:cluster) that share the
// listening port and the storage; it prints the "listening on" line once all are ready, replaces
// a worker that dies unexpectedly (with backoff), forwards SIGTERM/SIGINT for a graceful stop and
// SIGHUP for an identity reload.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../observe/logger.js';
import { serveClusterMetrics } from '../observe/cluster-metrics.js';

export interface WorkerMessage {
  readonly type: 'listening';
  readonly url: string;
  /** the storage's description (never credentials), for the primary's listening line */
  readonly storage: string;
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'listening';
}

/** Runs the cluster primary until every worker has exited after a stop signal. */
export async function runPrimary(opts: { workers: number; logger: Logger }): Promise<void> {
  const { logger } = opts;
  let stopping = false;
  let announced = false;
  const ready = new Set<number>();
  let restarts = 0;

  const fork = (): Worker => {
    const w = cluster.fork({ MODGATE_WORKER: '1' });
    w.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      ready.add(w.id);
      if (!announced && ready.size >= opts.workers) {
        announced = true;
        process.stdout.write(`modgate listening on ${m.url} (${opts.workers} workers)\n`);
        logger.info({ url: m.url, workers: opts.workers, storage: m.storage }, 'listening');
      }
    });
    return w;
  };

  serveClusterMetrics(() => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && ready.has(w.id) && w.isConnected()));
  for (let i = 0; i < opts.workers; i++) fork();

  await new Promise<void>((resolve) => {
    cluster.on('exit', (w, code, signal) => {
      ready.delete(w.id);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
        return;
      }
      restarts++;
      const backoff = Math.min(10_000, 100 * 2 ** Math.min(restarts, 7));
      logger.error({ worker: w.process.pid, code, signal, backoffMs: backoff }, 'worker exited unexpectedly; starting a new one');
      setTimeout(() => {
        if (!stopping) fork();
      }, backoff).unref();
    });
    const stop = (sig: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal: sig }, 'shutting down workers');
      const workers = Object.values(cluster.workers ?? {});
      if (workers.length === 0) resolve();
      for (const w of workers) w?.process.kill('SIGTERM');
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // Every worker re-reads the identity file.
    process.on('SIGHUP', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
    });
  });
}
