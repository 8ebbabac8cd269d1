// Import rules of modgate's layers (docs/architecture.md), checked by scripts/test.sh before the
// tests: `npx depcruise src bin --config .dependency-cruiser.cjs`. Type-only imports count too.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle means two files are one design; split out what both need.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-stays-pure',
      severity: 'error',
      comment: 'module/, zip/ and sumdb/ are the domain: they import no driver, service, server or CLI code.',
      from: { path: '^src/(module|zip|sumdb)/' },
      to: { path: '^src/(upstream|storage|coordination|cache|http|cli|service)/' },
    },
    {
      name: 'only-the-entry-point-imports-cli',
      severity: 'error',
      comment: 'cli/ parses flags, calls the core and prints; only bin/modgate (through cli/main.ts) and cli/ itself import it.',
      from: { pathNot: ['^src/cli/', '^bin/'] },
      to: { path: '^src/cli/' },
    },
    {
      name: 'http-does-not-import-storage',
      severity: 'error',
      comment: 'The HTTP layer gets readable objects (CachedObject) from the cache, never a storage key to open itself.',
      from: { path: '^src/http/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/storage/' },
    },
    {
      name: 'wiring-is-imported-by-nobody',
      severity: 'error',
      comment: 'compose*.ts constructs the server; only the CLI entry (serve) imports it.',
      from: { pathNot: ['^src/cli/', '^src/compose', '\\.test\\.ts$', '^test/', '^bench/'] },
      to: { path: '^src/compose' },
    },
    {
      name: 'test-helpers-stay-out-of-the-product',
      severity: 'error',
      comment: 'Compliance suites and test helpers (excluded from dist/) are imported only by tests.',
      from: { pathNot: ['\\.test\\.ts$', '-compliance\\.ts$', '^src/testing/', '^test/', '^bench/'] },
      to: { path: ['-compliance\\.ts$', '^src/testing/', '^test/', '-test-[a-z-]+\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
