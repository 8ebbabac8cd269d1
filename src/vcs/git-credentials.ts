// Per-host credentials for git over HTTPS: a token, a username/password pair, or a .netrc file.
// They become an `http.<scheme>://<host>/.extraHeader` Authorization header passed to git through
// GIT_CONFIG_COUNT/KEY/VALUE environment entries: never argv, never logged, never in error bodies.
import { readFile } from 'node:fs/promises';

export interface HostCredentials {
  /** Host name as in module paths and repository URLs ("github.com", "git.corp:8443"). */
  readonly host: string;
  /** Username for basic auth; with only `token`, defaults to "x-access-token" (GitHub/GitLab style). */
  readonly username?: string;
  readonly password?: string;
  /** A token sent as the basic-auth password. */
  readonly token?: string;
  /** A .netrc file whose `machine <host>` entry supplies login and password. */
  readonly netrcFile?: string;
}

interface NetrcEntry {
  readonly login: string;
  readonly password: string;
}

/** Parses .netrc text into machine → {login, password}; `default` is stored under ''. */
export function parseNetrc(text: string): Map<string, NetrcEntry> {
  const out = new Map<string, NetrcEntry>();
  const tokens = text.replace(/^#.*$/gm, '').split(/\s+/).filter((t) => t !== '');
  let machine: string | undefined;
  let login = '';
  let password = '';
  const flush = (): void => {
    if (machine !== undefined && !out.has(machine)) out.set(machine, { login, password });
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === 'machine' || t === 'default') {
      flush();
      machine = t === 'default' ? '' : (tokens[++i] ?? '');
      login = '';
      password = '';
    } else if (t === 'login') login = tokens[++i] ?? '';
    else if (t === 'password') password = tokens[++i] ?? '';
    else if (t === 'macdef') break;
  }
  flush();
  return out;
}

/** The username/password pair for a host, or undefined when none is configured. */
export async function resolveCredentials(creds: HostCredentials): Promise<{ username: string; password: string } | undefined> {
  if (creds.token !== undefined) return { username: creds.username ?? 'x-access-token', password: creds.token };
  if (creds.password !== undefined) return { username: creds.username ?? '', password: creds.password };
  if (creds.netrcFile !== undefined) {
    const entries = parseNetrc(await readFile(creds.netrcFile, 'utf8'));
    const hostOnly = creds.host.replace(/:\d+$/, '');
    const e = entries.get(creds.host) ?? entries.get(hostOnly) ?? entries.get('');
    if (e) return { username: e.login, password: e.password };
  }
  return undefined;
}

/** The Authorization header value for a username/password pair. */
function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * GIT_CONFIG_* environment entries for `config` (key → value list; keys may repeat) plus, when
 * credentials exist for the repository's host, an Authorization extra header scoped to that host.
 */
export function gitConfigEnv(config: readonly (readonly [string, string])[]): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(config.length) };
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

/** The git config entries carrying credentials for one host (both https and http). */
export function credentialConfig(host: string, user: { username: string; password: string }): [string, string][] {
  const header = `Authorization: ${basicAuth(user.username, user.password)}`;
  return [
    [`http.https://${host}/.extraHeader`, header],
    [`http.http://${host}/.extraHeader`, header],
  ];
}
