// Adds the config-schema flags (and --config) to a command, and loads the frozen Config from them.
import type { Command } from 'commander';
import { configSchema, type Config, type ConfigKey } from '../config/config-schema.js';
import { envNameOf, flagNameOf, loadConfig } from '../config/load-config.js';

const DESCRIPTIONS: Readonly<Record<ConfigKey, string>> = {
  listen: 'HOST:PORT to listen on (port 0 = any free port)',
  cacheDir: 'cache directory (usable as GOPROXY=file://DIR)',
  storage: 'fs://DIR (default: --cache-dir) or s3://BUCKET[/PREFIX]',
  s3Endpoint: 'S3 endpoint URL for S3-compatible services',
  s3Region: 'S3 region',
  s3ForcePathStyle: 'true|false: path-style S3 URLs (MinIO, Ceph...)',
  s3ZipRedirect: 'true|false: redirect zip downloads to presigned S3 URLs',
  redis: 'redis://HOST:PORT[/DB] for coordination between replicas',
  redisLeaseMs: 'lease of a distributed fill lock (ms)',
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
  private: 'GOPRIVATE-style patterns: direct only, never sent to a URL upstream or public checksum DB',
  noproxy: 'GONOPROXY-style patterns routed direct only (default: --private)',
  insecure: 'GOINSECURE-style patterns: http allowed for git and go-get',
  gitMirrorDir: 'directory of bare git mirrors (default <cache-dir>/.modgate/git)',
  gitMirrorBudgetBytes: 'total git mirror size budget in bytes',
  gitTimeoutSeconds: 'longest a git command may run (seconds)',
  gitRefreshSeconds: 'how often a repository is re-checked for new refs (seconds)',
  gitCredentials: 'JSON array of {host, username?, password?, token?, netrcFile?} (never logged)',
  gitConfig: 'extra git config: key=value entries separated by ";"',
  gcMaxBytes: 'GC size budget in bytes for module files (0 = off)',
  gcIntervalSeconds: 'seconds between scheduled GC runs',
  gcMinAgeSeconds: 'GC never removes versions written more recently than this',
  adminTokens: 'admin API bearer tokens, comma-separated (none = admin API off)',
  memoryCacheBytes: 'bytes of small files kept in memory for hits (0 = none)',
  prefetch: 'true|false: fetch the .mod/.info of a module\'s requirements ahead of the client',
  prefetchConcurrency: 'prefetches running at once',
  prefetchDepth: 'levels of the requirement graph to prefetch',
  hedgeAfterMs: 'ask the next "|" upstream too when one has not answered within this many ms (0 = off)',
  workers: 'worker processes sharing the port (node:cluster)',
  logLevel: 'fatal|error|warn|info|debug|trace|silent',
  logFormat: 'auto|json|pretty',
  shutdownGraceSeconds: 'seconds in-flight requests may finish on SIGTERM',
};

/** Adds `--config` and one flag per config key (all keys, or just `keys`). */
export function addConfigOptions(cmd: Command, keys: readonly ConfigKey[] = Object.keys(configSchema.shape) as ConfigKey[]): Command {
  cmd.option('--config <file>', 'JSON config file (env MODGATE_CONFIG)');
  for (const key of keys) cmd.option(`--${flagNameOf(key)} <value>`, `${DESCRIPTIONS[key]} (env ${envNameOf(key)})`);
  return cmd;
}

/** Loads the Config from parsed flags (commander's camelCase names match config keys). */
export function configFromFlags(flags: Readonly<Record<string, unknown>>): Config {
  const { config: file, ...rest } = flags;
  const known = Object.fromEntries(Object.entries(rest).filter(([k]) => k in configSchema.shape));
  return loadConfig({ file: typeof file === 'string' ? file : undefined, flags: known });
}
