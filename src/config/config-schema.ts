// The one configuration schema: every setting with its default and accepted form. Flags, env vars
// (MODGATE_*) and the config file are all validated by this schema, then the result is frozen.
// Settings with structure are parsed here into typed values (config-values.ts): the rest of the
// code reads entries, addresses and lists, never the text again.
import * as z from 'zod';
import { gitConfigValue, gitCredentialsValue, listenValue, optionalListenValue, storageValue, sumdbValue, tokenListValue, upstreamValue } from './config-values.js';

export const configSchema = z
  .object({
    /** HOST:PORT to listen on; port 0 picks a free port. Default 127.0.0.1:3000. */
    listen: listenValue.prefault('127.0.0.1:3000'),
    /** Directory of the filesystem cache (usable as GOPROXY=file://DIR). Default ./data. */
    cacheDir: z.string().min(1, 'expected a directory path').default('./data'),
    /**
     * Where the cache lives: `fs://DIR` (same as cacheDir) or `s3://BUCKET[/PREFIX]`.
     * Default: the filesystem at cacheDir. The schemes are those of storage/storage-registry.ts.
     */
    storage: storageValue.prefault(''),
    /** S3 endpoint URL for S3-compatible services (MinIO, Ceph, R2...); default AWS. */
    s3Endpoint: z.string().url('expected a URL like http://127.0.0.1:9000').or(z.literal('')).default(''),
    /** S3 region. */
    s3Region: z.string().default('us-east-1'),
    /** Path-style S3 URLs (needed by most S3-compatible services). */
    s3ForcePathStyle: z.boolean().default(false),
    /** Redirect zip downloads to presigned S3 URLs instead of streaming them through modgate. */
    s3ZipRedirect: z.boolean().default(false),
    /** Redis URL (redis://HOST:PORT[/DB], rediss://...) for coordination between replicas; none = single process. */
    redis: z
      .string()
      .regex(/^(rediss?:\/\/\S+)?$/, 'expected redis://HOST:PORT[/DB] or rediss://...')
      .default(''),
    /** Lease of a distributed fill lock in ms (renewed while the fill runs). */
    redisLeaseMs: z.number().int().min(1000).max(600_000).default(30_000),
    /** Upstream list in GOPROXY syntax (`,` falls through on 404/410, `|` on any error). */
    upstream: upstreamValue.prefault('https://proxy.golang.org,direct'),
    /** Serve under this URL path prefix (e.g. /go when behind a reverse proxy). Default none. */
    pathPrefix: z
      .string()
      .regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'expected an absolute URL path like /go (no trailing slash), or empty')
      .default(''),
    /** Seconds a cached list/@latest answer is fresh; after that it is revalidated (stale-while-revalidate). */
    listTtlSeconds: z.number().int().min(0).max(86400 * 30).default(60),
    /** Seconds a not-found answer is remembered (negative cache). */
    negativeTtlSeconds: z.number().int().min(0).max(86400).default(60),
    /** Seconds a resolved version query (/@v/master.info) is remembered. */
    queryTtlSeconds: z.number().int().min(0).max(86400).default(60),
    /** Milliseconds to establish an upstream connection. */
    upstreamConnectTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
    /** Milliseconds to wait for upstream response headers, and for each stretch of body silence. */
    upstreamTimeoutMs: z.number().int().min(1).max(3_600_000).default(30_000),
    /**
     * Longest one upstream attempt may take, from the request to the body's last byte (ms; 0 = no
     * limit). After it the chain moves on past a `|` entry, else the client gets a 504 naming the upstream.
     */
    upstreamAttemptTimeoutMs: z.number().int().min(0).max(86_400_000).default(600_000),
    /** Least rate (bytes/s) an upstream body must average over each rate window; 0 = no minimum. */
    upstreamMinBytesPerSecond: z.number().int().min(0).default(1024),
    /** Length of the window the minimum rate is measured over (ms). */
    upstreamRateWindowMs: z.number().int().min(100).max(3_600_000).default(30_000),
    /**
     * Circuit breaker: after this many consecutive failures (connection errors, timeouts, 5xx) an
     * HTTP upstream is skipped at once (a `|` chain moves on) until its cool-down ends; 0 = off.
     */
    upstreamBreakerFailures: z.number().int().min(0).max(1000).default(5),
    /** How long an open circuit skips its upstream before one probe request is let through (ms). */
    upstreamBreakerCoolDownMs: z.number().int().min(100).max(3_600_000).default(30_000),
    /** Retries of an idempotent upstream request after a connection error or 502/503/504. */
    upstreamRetries: z.number().int().min(0).max(10).default(2),
    /** Base backoff in milliseconds between retries (doubles each time, with jitter). */
    upstreamRetryBackoffMs: z.number().int().min(0).max(60_000).default(100),
    /**
     * Checksum databases in GOSUMDB syntax (`name`, `key`, `key url`), comma-separated for several,
     * or `off` to disable verification (loudly). Default: Go's sum.golang.org.
     */
    sumdb: sumdbValue.prefault('sum.golang.org'),
    /** GONOSUMDB-style patterns: matching paths are not looked up in a checksum database; their hashes are pinned on first fetch. */
    nosumdb: z.string().default(''),
    /**
     * Name of modgate's own checksum database (e.g. sum.corp.example.com): every admitted version is
     * recorded in a signed log served at /sumdb/<name>/. Empty = off. Needs a signer key.
     */
    ownSumdb: z
      .string()
      .regex(/^([A-Za-z0-9.-]+(\/[A-Za-z0-9._~-]+)*)?$/, 'expected a database name like sum.corp.example.com (host[/path])')
      .default(''),
    /** File holding the own checksum database's signer key (modgate sumdb keygen); or env MODGATE_OWN_SUMDB_KEY holds the key itself. */
    ownSumdbKeyFile: z.string().default(''),
    /** GOPRIVATE-style patterns: these paths go direct only, never to a URL upstream or a public checksum DB. */
    private: z.string().default(''),
    /** GONOPROXY-style patterns routed direct only; default: the private patterns. */
    noproxy: z.string().default(''),
    /** GOINSECURE-style patterns: git and go-get over http (and without TLS checks) allowed. */
    insecure: z.string().default(''),
    /** Directory of the bare git mirrors used by direct mode; default <cacheDir>/.modgate/git. */
    gitMirrorDir: z.string().default(''),
    /** Total size of the git mirrors above which the least recently used are removed. */
    gitMirrorBudgetBytes: z.number().int().min(1 << 20).default(10 * 1024 ** 3),
    /** Longest a single git command may run, in seconds. */
    gitTimeoutSeconds: z.number().int().min(1).max(86400).default(600),
    /** A repository's refs are re-checked at most this often for list/@latest/queries (seconds; 0 = always). */
    gitRefreshSeconds: z.number().int().min(0).max(86400).default(5),
    /**
     * Credentials for git hosts: a JSON array of {host, username?, password?, token?, netrcFile?}
     * (in the config file as an array). Never logged.
     */
    gitCredentials: gitCredentialsValue.prefault([]),
    /** Extra git config for direct mode: `key=value` entries separated by newlines or ';' (or an array in the config file). */
    gitConfig: gitConfigValue.prefault([]),
    /** GC size budget in bytes for module files (0 = no scheduled GC); LRU versions go first, prewarm-pinned ones stay. */
    gcMaxBytes: z.number().int().min(0).default(0),
    /** Seconds between scheduled GC runs (when gcMaxBytes > 0). */
    gcIntervalSeconds: z.number().int().min(10).max(86400 * 7).default(3600),
    /** GC never removes a version written less than this many seconds ago (protects fresh downloads). */
    gcMinAgeSeconds: z.number().int().min(0).max(86400).default(60),
    /** Tokens clients must send to use the proxy (Bearer, or Basic with the token as password, as GOAUTH/.netrc send it); none = open. */
    clientTokens: tokenListValue.prefault(''),
    /** Module path patterns (GOPRIVATE syntax) the proxy serves; empty = all. Others get 403. */
    allow: z.string().default(''),
    /** Module path patterns (GOPRIVATE syntax) the proxy refuses with 403, even when allowed. */
    deny: z.string().default(''),
    /** Admin API bearer tokens, comma-separated; none = admin API off. */
    adminTokens: tokenListValue.prefault(''),
    /**
     * Identity file (JSON): named tokens stored as sha256 hashes with scopes and module patterns, and
     * trusted JWT issuers with claim rules (docs/access-control.md). Re-read on SIGHUP and on change.
     * Set = every route but /healthz and /readyz needs credentials.
     */
    identities: z.string().default(''),
    /**
     * Version policy file (JSON): denied version ranges per module pattern, a cool-down for new
     * versions, refusal of retracted versions, allow lists (docs/version-policy.md). Re-read on
     * SIGHUP and on change. '' = every version admitted.
     */
    policy: z.string().default(''),
    /** Apply the version policy in dry-run: report what it would refuse (log, event, metric) and admit it. */
    policyDryRun: z.boolean().default(false),
    /** Token accepted on /metrics (Bearer, for Prometheus) besides admin identities; '' = none. */
    metricsToken: z.string().default(''),
    /** Serve /metrics on this HOST:PORT only (not on --listen); '' = on --listen. */
    metricsListen: optionalListenValue.prefault(''),
    /** PEM certificate (chain) for HTTPS to clients; with tlsKey. Re-read when it changes. '' = plain HTTP. */
    tlsCert: z.string().default(''),
    /** PEM private key of tlsCert. */
    tlsKey: z.string().default(''),
    /** Days the audit log (who fetched which module@version) is kept. */
    auditRetentionDays: z.number().int().min(1).max(3650).default(30),
    /** Bytes of small files (.info/.mod/list/@latest) and zip metadata kept in memory for hits; 0 = none. */
    memoryCacheBytes: z.number().int().min(0).default(64 << 20),
    /** Bytes of stored zips copied into memory for hits (least recently used dropped first); 0 = every zip streamed from storage. */
    zipMemoryBytes: z.number().int().min(0).default(128 << 20),
    /** The largest zip copied into memory; larger ones are always streamed from storage. */
    zipMemoryMaxBytes: z.number().int().min(0).default(32 << 20),
    /** Prefetch: when a .mod is fetched for a client, fetch the .mod/.info of its requirements ahead of the client. */
    prefetch: z.boolean().default(true),
    /** How many prefetches run at once. */
    prefetchConcurrency: z.number().int().min(1).max(256).default(16),
    /** How many levels of the requirement graph to prefetch below a requested .mod. */
    prefetchDepth: z.number().int().min(0).max(10).default(2),
    /** Levels of requirements whose zips are prefetched below a zip (or a fetched list's latest version) a client asked for; 0 = none. */
    prefetchZipDepth: z.number().int().min(0).max(10).default(2),
    /** When a client asks for a version's .mod, prefetch its .info and zip (a build asks for them next). */
    prefetchModZips: z.boolean().default(true),
    /** How many zip prefetches run at once. */
    prefetchZipConcurrency: z.number().int().min(1).max(64).default(4),
    /** After this many ms without an answer from an upstream followed by `|`, also ask the next one (hedging); 0 = off. */
    hedgeAfterMs: z.number().int().min(0).max(600_000).default(0),
    /** Worker processes sharing the port (node:cluster); 1 = this process only. */
    workers: z.number().int().min(1).max(64).default(1),
    /** Log level. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Log format: json lines, pretty, or auto (pretty on a terminal). */
    logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
    /** Seconds to let in-flight requests finish on SIGTERM before aborting them. */
    shutdownGraceSeconds: z.number().int().min(0).max(3600).default(10),
  })
  .strict()
  .superRefine((c, ctx) => {
    // HTTPS needs the pair: a certificate without its key (or the reverse) is a mistake, not plain HTTP.
    if ((c.tlsCert === '') !== (c.tlsKey === '')) {
      ctx.addIssue({ code: 'custom', path: [c.tlsCert === '' ? 'tlsCert' : 'tlsKey'], message: 'give both --tls-cert and --tls-key (or neither)' });
    }
  });

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ConfigInput = z.input<typeof configSchema>;
/** Keys of the schema, for flags/env mapping. */
export type ConfigKey = keyof Config;
