// Typed config values: zod schemas whose transforms turn the text of a setting into the value the
// parts use (listen address, upstream entries, checksum databases, storage target, git settings,
// token lists). A bad value becomes a zod issue with the accepted form; load-config adds the flag
// and env var names. Parsing happens here once; nothing downstream re-parses a setting.
import { isIP } from 'node:net';
import * as z from 'zod';
import { isModgateError } from '../errors/modgate-error.js';
import { parseProxyList, type ProxyEntry } from '../upstream/proxy-list.js';
import { parseSumdbList, type GosumdbConfig } from '../sumdb/gosumdb.js';
import { parseStorageUrl, type StorageTarget } from '../storage/storage-registry.js';
import type { HostCredentials } from '../vcs/git-credentials.js';

export interface ListenAddress {
  /** Host or IP to bind ('0.0.0.0' when the setting left it empty); IPv6 without brackets. */
  readonly host: string;
  /** 0-65535; 0 = any free port. */
  readonly port: number;
}

type Ctx = z.core.$RefinementCtx<string>;

/** Adds an issue for `input` and returns z.NEVER (the transform's value is then discarded). */
function refuse(ctx: Ctx, input: string, message: string): never {
  ctx.issues.push({ code: 'custom', message, input });
  return z.NEVER;
}

/** Runs a parser that throws ModgateError CONFIG_INVALID; its message (and hint) becomes the issue. */
function viaParser<T>(parse: (v: string) => T): (v: string, ctx: Ctx) => T {
  return (v, ctx) => {
    try {
      return parse(v);
    } catch (err) {
      if (!isModgateError(err)) throw err;
      return refuse(ctx, v, err.hint ? `${err.message}; ${err.hint}` : err.message);
    }
  };
}

const LISTEN_FORM = 'expected HOST:PORT with a port 0-65535, e.g. 127.0.0.1:3000, 0.0.0.0:3000 or [::1]:3000 (port 0 = any free port)';
const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** `HOST:PORT` → {host, port}: the host an IPv4 address, a [bracketed] IPv6 address or a DNS name. */
export function parseListen(v: string, ctx: Ctx): ListenAddress {
  const m = /^(\[[^\]]*\]|[^:[\]]*):(\d{1,5})$/.exec(v.trim());
  if (!m) return refuse(ctx, v, `${LISTEN_FORM}; got ${JSON.stringify(v)}`);
  const rawHost = m[1]!;
  const port = Number(m[2]);
  if (port > 65535) return refuse(ctx, v, `port ${port} is out of range; ${LISTEN_FORM}`);
  if (rawHost.startsWith('[')) {
    const host = rawHost.slice(1, -1);
    if (isIP(host) !== 6) return refuse(ctx, v, `${JSON.stringify(host)} is not an IPv6 address; ${LISTEN_FORM}`);
    return { host, port };
  }
  if (rawHost === '') return { host: '0.0.0.0', port };
  if (/^[\d.]+$/.test(rawHost) ? isIP(rawHost) !== 4 : !HOSTNAME.test(rawHost)) {
    return refuse(ctx, v, `${JSON.stringify(rawHost)} is not an IPv4 address or host name; ${LISTEN_FORM}`);
  }
  return { host: rawHost, port };
}

export const listenValue = z.string().transform(parseListen);

/** A listen address, or '' for none (undefined). */
export const optionalListenValue = z.string().transform((v, ctx): ListenAddress | undefined => (v.trim() === '' ? undefined : parseListen(v, ctx)));

/** GOPROXY syntax → entries; an empty list is refused (the go command's default is spelled out). */
export const upstreamValue = z.string().transform((v, ctx): readonly ProxyEntry[] => {
  if (v.trim() === '') {
    return refuse(ctx, v, 'the upstream list is empty; expected a list in GOPROXY syntax, e.g. "https://proxy.golang.org,direct", "file:///mirror", "direct" or "off"');
  }
  return viaParser(parseProxyList)(v, ctx);
});

/** GOSUMDB settings, comma-separated, or 'off'. */
export const sumdbValue = z.string().transform(viaParser((v): readonly GosumdbConfig[] | 'off' => parseSumdbList(v)));

/** Storage URL (scheme chosen from the storage registry); empty = the filesystem at cacheDir. */
export const storageValue = z.string().transform(viaParser((v): StorageTarget => parseStorageUrl(v)));

const hostCredentials = z
  .object({ host: z.string().min(1), username: z.string().optional(), password: z.string().optional(), token: z.string().optional(), netrcFile: z.string().optional() })
  .strict();
const CREDENTIALS_FORM = 'expected a JSON array of {host, username?, password?, token?, netrcFile?}';

/** Credentials for git hosts: a JSON array as text (flag/env) or an array (config file). Never echoed. */
export const gitCredentialsValue = z.union([z.string(), z.array(z.unknown())]).transform((v, ctx): readonly HostCredentials[] => {
  let items: unknown = v;
  if (typeof v === 'string') {
    if (v.trim() === '') return [];
    try {
      items = JSON.parse(v);
    } catch {
      ctx.issues.push({ code: 'custom', message: `${CREDENTIALS_FORM} (the value is not JSON)`, input: '(redacted)' });
      return z.NEVER;
    }
  }
  const parsed = z.array(hostCredentials).safeParse(items);
  if (!parsed.success) {
    ctx.issues.push({ code: 'custom', message: `${CREDENTIALS_FORM}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`, input: '(redacted)' });
    return z.NEVER;
  }
  return parsed.data.map((c) => Object.fromEntries(Object.entries(c).filter(([, x]) => x !== undefined)) as unknown as HostCredentials);
});

/** Extra git config: `key=value` entries separated by newlines or ';' (or an array in the file). */
export const gitConfigValue = z.union([z.string(), z.array(z.string())]).transform((v, ctx): ReadonlyArray<readonly [string, string]> => {
  const items = (Array.isArray(v) ? v : v.split(/[;\n]/)).map((i) => i.trim()).filter((i) => i !== '');
  const out: Array<readonly [string, string]> = [];
  for (const i of items) {
    const eq = i.indexOf('=');
    if (eq <= 0) return refuse(ctx as Ctx, i, `expected key=value entries separated by ";", got ${JSON.stringify(i)}`);
    out.push([i.slice(0, eq), i.slice(eq + 1)]);
  }
  return out;
});

/** Comma-separated tokens → the list (blank entries dropped). */
export const tokenListValue = z.string().transform((v): readonly string[] => v.split(',').map((t) => t.trim()).filter((t) => t !== ''));
