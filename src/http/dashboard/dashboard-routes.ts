// The web dashboard: GET <prefix>/ serves one HTML page, <prefix>/dashboard/<file> its scripts and
// styles, <prefix>/dashboard/vendor/<file> the chart library (uPlot, from the installed npm
// package). Everything is read at start (no build step, no CDN); page and assets are public, and the page reads its data from
// <prefix>/api/ and purges through <prefix>/admin/purge (docs/dashboard.md). Requests are of kind
// 'dashboard' (kept out of the request statistics).
import { readFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface DashboardUsage {
  /** GOPROXY value clients use for this server ('' = derive from the request's Host). */
  readonly goproxy: string;
  readonly gosumdb: string;
  readonly goprivate: string;
}

export interface DashboardRoutesOptions {
  readonly pathPrefix: string;
  /** Shown in the "how to use" panel before /api/overview answers (and if it never does). */
  readonly usage: DashboardUsage;
  /** The admin API is on (purge buttons are shown only then); default false. */
  readonly admin?: boolean;
  /** Client authentication is on: the page needs a token to show data (the token form is shown). */
  readonly auth?: boolean;
}

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Files served under <prefix>/dashboard/ (index.html is served at <prefix>/ only). */
const ASSET_FILES = ['dashboard.css', 'dashboard-app.js', 'dashboard-dom.js', 'dashboard-charts.js', 'dashboard-modules.js', 'favicon.svg'];

/** Files of the uplot package's dist/ served under <prefix>/dashboard/vendor/. */
const VENDOR_FILES = ['uPlot.iife.min.js', 'uPlot.min.css'];

// Everything the page loads comes from this server: no inline script, no third-party origin.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The assets directory: next to this module when run from src/ (tsx), or the package's
 * src/http/dashboard/assets when run from dist/http/dashboard/ (tsc) or dist/app/ (the bundle);
 * neither build copies non-TS files.
 */
export function dashboardAssetDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const fromPackage = (up: number): string => join(here, ...Array<string>(up).fill('..'), 'src', 'http', 'dashboard', 'assets');
  const candidates = [join(here, 'assets'), fromPackage(3), fromPackage(2)];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`dashboard assets not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** The installed uplot package's dist/ directory (node_modules lookup from this module, src/ or dist/). */
export function uplotDistDir(): string {
  const pkg = createRequire(import.meta.url).resolve('uplot/package.json');
  return join(dirname(pkg), 'dist');
}

function load(dir: string, name: string): Asset {
  const body = readFileSync(join(dir, name));
  const ext = name.slice(name.lastIndexOf('.'));
  return { body, type: TYPES[ext] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/** A value as a POSIX shell word (single-quoted when it needs to be). */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The `export NAME=value` lines for a usage object; a value that already is a full line is kept. */
export function usageLines(usage: DashboardUsage): string[] {
  const line = (name: string, value: string): string => {
    if (/^(export\s+)?GO[A-Z]+=/.test(value)) return value.startsWith('export') ? value : `export ${value}`;
    return value === '' ? `# ${name}: leave at its default` : `export ${name}=${shellWord(value)}`;
  };
  return [line('GOPROXY', usage.goproxy), line('GOSUMDB', usage.gosumdb), line('GOPRIVATE', usage.goprivate)];
}

function sendAsset(req: FastifyRequest, reply: FastifyReply, a: Asset, body: Buffer = a.body): FastifyReply {
  reply
    .header('content-type', a.type)
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (body === a.body) {
    reply.header('etag', a.etag);
    if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  }
  return reply.code(200).send(body);
}

/** A route handler serving one of files by its :file parameter, 404 for any other name. */
function fileRoute(files: ReadonlyMap<string, Asset>) {
  return async (req: FastifyRequest<{ Params: { file: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
    req.flow.kind = 'dashboard';
    const a = files.get(req.params.file);
    if (!a) return reply.code(404).header('content-type', 'text/plain; charset=utf-8').send(`not found: ${req.url}\n`);
    return sendAsset(req, reply, a);
  };
}

/** Fastify plugin (for ProxyServerOptions.plugins) serving the dashboard page and its assets. */
export function dashboardRoutes(opts: DashboardRoutesOptions) {
  const dir = dashboardAssetDir();
  const index = load(dir, 'index.html');
  const assets = new Map(ASSET_FILES.map((name) => [name, load(dir, name)]));
  const vendorDir = uplotDistDir();
  const vendor = new Map(VENDOR_FILES.map((name) => [name, load(vendorDir, name)]));
  const prefix = opts.pathPrefix;
  const template = index.body.toString('utf8');

  return (app: FastifyInstance): void => {
    // The page and its assets carry no data (it comes from /api/, which needs a token when
    // authentication is on): public, so the page can ask for the token.
    const open = { config: { access: 'public' as const } };
    app.get(`${prefix}/`, open, async (req, reply) => {
      req.flow.kind = 'dashboard';
      const goproxy = opts.usage.goproxy || `${req.protocol}://${req.host}${prefix}`;
      const lines = usageLines({ ...opts.usage, goproxy });
      const html = template.replace('{{ADMIN}}', opts.admin === true ? 'on' : 'off').replace('{{AUTH}}', opts.auth === true ? 'on' : 'off').replace('{{USAGE}}', escapeHtml(lines.join('\n')));
      reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
      return sendAsset(req, reply, index, Buffer.from(html, 'utf8'));
    });
    if (prefix !== '') app.get(prefix, open, async (_req, reply) => reply.redirect(`${prefix}/`, 308));
    app.get(`${prefix}/dashboard/:file`, open, fileRoute(assets));
    app.get(`${prefix}/dashboard/vendor/:file`, open, fileRoute(vendor));
  };
}
