// `modgate serve`: flags for every config field, then start the server and stop it on SIGTERM/SIGINT.
// When the configuration allows (config/early-listen.ts: the filesystem default), it listens and
// prints the listening line as soon as the config and the storage are checked, and builds the server
// (fastify, routes, metrics; loaded only now) while the first connections wait; a stop signal in
// that window stops the server once it is built.
import type { Command } from 'commander';
import { addConfigOptions, configFromFlags } from './config-options.js';
import { createLogger, type Logger } from '../observe/logger.js';
import cluster from 'node:cluster';
import { prepareStorage } from '../compose-scale.js';
import type { WorkerMessage } from './serve-workers.js';
import { describeProxyList } from '../upstream/proxy-list.js';
import { listensEarly } from '../config/early-listen.js';
import { listenEarly } from '../http/early-listener.js';
import type { StartOptions } from '../compose.js';

/** Longest wait for the log's last writes before exiting anyway (a reader that stopped reading). */
const LOG_FLUSH_MS = 5000;

/** Exits with `code` once every log line handed over was written (no line lost on SIGTERM). */
function exitAfterLog(logger: Logger, code: number): void {
  setTimeout(() => process.exit(code), LOG_FLUSH_MS).unref();
  logger.flush(() => process.exit(code));
}

export function registerServe(program: Command): void {
  const cmd = addConfigOptions(program.command('serve').description('run the module proxy'));
  cmd.action(async (flags: Record<string, string | undefined>) => {
    const config = configFromFlags(flags);
    const logger = createLogger({ level: config.logLevel, format: config.logFormat, sharedStdout: config.workers > 1 });
    if (config.workers > 1 && cluster.isPrimary) {
      // Clean up after a crash once, before any worker starts downloading.
      await prepareStorage(config, logger);
      const { runPrimary } = await import('./serve-workers.js');
      await runPrimary({ workers: config.workers, logger });
      exitAfterLog(logger, 0);
      return;
    }
    // A stop signal after the listening line (a client may send one as soon as it reads the line)
    // while the server is still being built is acted on once it is built; one before the line
    // ends the process at once, as it always did.
    let announced = false;
    let pending: string | undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (announced) {
        pending ??= signal;
        return;
      }
      removeEarlyHandlers();
      process.kill(process.pid, signal);
    };
    const onStopSignal = { SIGTERM: () => onSignal('SIGTERM'), SIGINT: () => onSignal('SIGINT') };
    const ignoreReload = (): void => undefined; // (what SIGHUP re-reads is read by the build itself)
    const removeEarlyHandlers = (): void => {
      process.removeListener('SIGTERM', onStopSignal.SIGTERM);
      process.removeListener('SIGINT', onStopSignal.SIGINT);
      process.removeListener('SIGHUP', ignoreReload);
    };
    process.on('SIGTERM', onStopSignal.SIGTERM);
    process.on('SIGINT', onStopSignal.SIGINT);
    process.on('SIGHUP', ignoreReload);
    let early: StartOptions['early'];
    if (!cluster.isWorker && listensEarly(config)) {
      const storage = await prepareStorage(config, logger);
      const listener = await listenEarly(config.listen);
      early = { listener, storage };
      process.stdout.write(`modgate listening on ${listener.origin}${config.pathPrefix}\n`);
      announced = true;
    }
    const { startServer } = await import('../compose.js');
    const server = await startServer(config, logger, { sweepTemp: !cluster.isWorker, clusterWorker: cluster.isWorker, ...(early ? { early } : {}) }).catch((err: unknown) => {
      early?.listener.abort();
      throw err;
    });
    if (cluster.isWorker) {
      process.send?.({ type: 'listening', url: server.url, storage: server.storage } satisfies WorkerMessage);
    } else {
      if (!early) process.stdout.write(`modgate listening on ${server.url}\n`);
      announced = true;
      if (server.metricsUrl) process.stdout.write(`modgate metrics on ${server.metricsUrl}\n`);
      logger.info({ url: server.url, upstream: describeProxyList(config.upstream), storage: server.storage }, 'listening');
    }
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      server
        .close(config.shutdownGraceSeconds * 1000)
        .then(() => exitAfterLog(logger, 0))
        .catch((err: unknown) => {
          logger.error({ err }, 'error during shutdown');
          process.exit(1);
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // Re-read the identity file; connections stay open.
    process.on('SIGHUP', () => void server.reload());
    removeEarlyHandlers();
    if (pending !== undefined) stop(pending);
  });
}
