// Bundles the CLI for bin/modgate (issue #10: startup time and idle memory): esbuild turns
// src/cli/main.ts and everything it imports, npm packages included, into a few ES modules in
// dist/app/. Every dynamic `import()` (each command, the S3/Redis drivers, undici's upstream,
// direct mode, JWT verification, ...) becomes a chunk of its own that is read only when it is
// reached, so a start reads ~10 files instead of ~600 and resolves none through node_modules.
// Left as runtime `require`s from node_modules (loaded only when configured or used): the AWS SDK,
// ioredis, pino-pretty, fastify's schema compilers and light-my-request (inject).
// Usage: node scripts/bundle.mjs   (run by `npm run build` and scripts/test.sh after tsc)
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/app`;
await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Chunks beside the entry: code that locates files from import.meta.url (package.json, the
  // dashboard assets) sees the same directory whichever chunk it ends up in.
  chunkNames: '[name]-[hash]',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  external: ['@aws-sdk/*', 'ioredis', 'pino-pretty', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request'],
  // The npm packages bundled here are CommonJS: their require() of node built-ins needs a real require.
  banner: { js: "import { createRequire as __modgateRequire } from 'node:module'; const require = __modgateRequire(import.meta.url);" },
});
