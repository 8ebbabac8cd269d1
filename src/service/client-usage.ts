// The "how to use" lines the dashboard and /api/overview show clients: GOPROXY pointed here and a
// GOSUMDB that keeps the go command verifying. When this server does not verify (--sumdb off), the
// client must verify itself against sum.golang.org: GOSUMDB=off is never advised.

export interface ClientUsageInput {
  /** The URL the client reached this server at (with the path prefix). */
  readonly baseUrl: string;
  /** The proxied checksum databases, or 'off' when this server does not verify. */
  readonly sumdb: ReadonlyArray<{ readonly name: string }> | 'off';
  /** modgate's own checksum database, when it runs one. */
  readonly ownVkey?: string | undefined;
  /** The server's private-path patterns ('' = none). */
  readonly privatePatterns: string;
}

export interface ClientUsage {
  readonly goproxy: string;
  readonly gosumdb: string;
  readonly goprivate: string;
}

export function clientUsage(opts: ClientUsageInput): ClientUsage {
  const goproxy = `export GOPROXY=${opts.baseUrl}`;
  if (opts.ownVkey !== undefined) {
    return {
      goproxy,
      gosumdb: `export GOSUMDB="${opts.ownVkey}"  # modgate's own database: verifies every module, private ones included`,
      goprivate: "export GONOSUMDB= GOPRIVATE=  # nothing needs excluding with modgate's own database",
    };
  }
  const gosumdb =
    opts.sumdb === 'off'
      ? 'export GOSUMDB=sum.golang.org  # this server does not verify: the go command keeps verifying against sum.golang.org itself'
      : `export GOSUMDB=${opts.sumdb[0]?.name ?? 'sum.golang.org'}  # verified through ${opts.baseUrl}/sumdb/`;
  const goprivate = opts.privatePatterns
    ? `export GONOSUMDB=${opts.privatePatterns}  # private paths: modgate fetches them from git; keep GOPROXY pointed here`
    : 'export GOPRIVATE=  # none configured on this server';
  return { goproxy, gosumdb, goprivate };
}
