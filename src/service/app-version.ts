// modgate's version, read once from package.json (shown by --version and the overview).
import { createRequire } from 'node:module';

// From src/service/ (tsx) and dist/service/ (built) alike, the package root is two levels up.
const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

export const APP_VERSION: string = pkg.version;
