// `modgate serve`: flags for every config field, then start the server and stop it on SIGTERM/SIGINT.
import type { Command } from 'commander';
import { addConfigOptions, configFromFlags } from './config-options.js';
import { createLogger } from '../observe/logger.js';
import { startServer } from '../compose.js';

export function registerServe(program: Command): void {
  const cmd = addConfigOptions(program.command('serve').description('run the module proxy'));
  cmd.action(async (flags: Record<string, string | undefined>) => {
    const config = configFromFlags(flags);
    const logger = createLogger({ level: config.logLevel, format: config.logFormat });
    const server = await startServer(config, logger);
    process.stdout.write(`modgate listening on ${server.url}\n`);
    logger.info({ url: server.url, upstream: config.upstream.replace(/\/\/[^/@]*@/g, '//'), cacheDir: config.cacheDir }, 'listening');
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      server
        .close(config.shutdownGraceSeconds * 1000)
        .then(() => {
          logger.flush();
          process.exit(0);
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'error during shutdown');
          process.exit(1);
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
