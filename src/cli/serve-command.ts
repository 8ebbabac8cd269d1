// `modgate serve`: flags for every config field, then start the server and stop it on SIGTERM/SIGINT.
import type { Command } from 'commander';
import { configSchema, type ConfigKey } from '../config/config-schema.js';
import { envNameOf, flagNameOf, loadConfig } from '../config/load-config.js';
import { createLogger } from '../observe/logger.js';
import { startServer } from '../compose.js';

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  listen: 'HOST:PORT to listen on (port 0 = any free port)',
  cacheDir: 'cache directory (usable as GOPROXY=file://DIR)',
  upstream: 'upstream list in GOPROXY syntax, e.g. "https://a,https://b|file:///mirror,off"',
  pathPrefix: 'serve under this URL path prefix, e.g. /go',
  listTtlSeconds: 'seconds list/@latest answers stay fresh',
  negativeTtlSeconds: 'seconds not-found answers are remembered',
  queryTtlSeconds: 'seconds resolved version queries are remembered',
  upstreamConnectTimeoutMs: 'upstream connect timeout (ms)',
  upstreamTimeoutMs: 'upstream response/body-silence timeout (ms)',
  upstreamRetries: 'retries after connection errors and 502/503/504',
  upstreamRetryBackoffMs: 'base retry backoff (ms)',
  sumdb: 'checksum databases (GOSUMDB syntax, comma-separated) or "off"',
  nosumdb: 'GONOSUMDB-style patterns not verified by a checksum database (hashes pinned instead)',
  adminTokens: 'admin API bearer tokens, comma-separated (none = admin API off)',
  logLevel: 'fatal|error|warn|info|debug|trace|silent',
  logFormat: 'auto|json|pretty',
  shutdownGraceSeconds: 'seconds in-flight requests may finish on SIGTERM',
};

export function registerServe(program: Command): void {
  const cmd = program.command('serve').description('run the module proxy');
  cmd.option('--config <file>', 'JSON config file (env MODGATE_CONFIG)');
  for (const key of Object.keys(configSchema.shape) as ConfigKey[]) {
    cmd.option(`--${flagNameOf(key)} <value>`, `${DESCRIPTIONS[key] ?? key} (env ${envNameOf(key)})`);
  }
  cmd.action(async (flags: Record<string, string | undefined>) => {
    const { config: file, ...rest } = flags;
    const config = loadConfig({ file, flags: rest });
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
