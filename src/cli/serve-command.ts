// `modgate serve`: flags for every config field, then start the server and stop it on SIGTERM/SIGINT.
import type { Command } from 'commander';
import { addConfigOptions, configFromFlags } from './config-options.js';
import { createLogger, type Logger } from '../observe/logger.js';
import cluster from 'node:cluster';
import { startServer } from '../compose.js';
import { prepareStorage } from '../compose-scale.js';
import { runPrimary, type WorkerMessage } from './serve-workers.js';
import { describeProxyList } from '../upstream/proxy-list.js';

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
      await runPrimary({ workers: config.workers, logger });
      exitAfterLog(logger, 0);
    }
    const server = await startServer(config, logger, { sweepTemp: !cluster.isWorker, clusterWorker: cluster.isWorker });
    if (cluster.isWorker) {
      process.send?.({ type: 'listening', url: server.url, storage: server.storage } satisfies WorkerMessage);
    } else {
      process.stdout.write(`modgate listening on ${server.url}\n`);
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
  });
}
