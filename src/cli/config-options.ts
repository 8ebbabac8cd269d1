// Adds the config-schema flags (and --config) to a command, and loads the frozen Config from them.
// Boolean settings are switches: `--X`, `--X true|false` / `--X=false`, and `--no-X`. Help shows
// each setting's env var and default; the defaults themselves are applied by the schema (so that a
// flag left out does not hide the env var or config file).
import type { Command } from 'commander';
import { configSchema, type Config, type ConfigKey } from '../config/config-schema.js';
import { envNameOf, flagNameOf, inputDefaultOf, isBooleanKey, loadConfig } from '../config/load-config.js';
import { CONFIG_DESCRIPTIONS as DESCRIPTIONS } from '../config/config-descriptions.js';

const REPEATABLE = new Set<ConfigKey>(['sumdb', 'private', 'noproxy', 'nosumdb', 'insecure', 'allow', 'deny', 'adminTokens', 'clientTokens']);

/** Never shown in help: credentials. */
const SECRET = new Set<ConfigKey>(['gitCredentials', 'clientTokens', 'adminTokens', 'metricsToken']);

function shownDefault(key: ConfigKey): string {
  const v = inputDefaultOf(key);
  if (SECRET.has(key) || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) return '';
  return `; default: ${typeof v === 'string' ? v : JSON.stringify(v)}`;
}

/** Adds `--config` and one flag per config key (all keys, or just `keys`). */
export function addConfigOptions(cmd: Command, keys: readonly ConfigKey[] = Object.keys(configSchema.shape) as ConfigKey[]): Command {
  cmd.option('--config <file>', 'JSON config file (env MODGATE_CONFIG)');
  for (const key of keys) {
    const flag = flagNameOf(key);
    const help = `${DESCRIPTIONS[key]} (env ${envNameOf(key)}${shownDefault(key)})`;
    if (isBooleanKey(key)) {
      // A bare switch means true; an optional value (`--X false`, `--X=false`) is coerced by loadConfig.
      cmd.option(`--${flag} [true|false]`, help);
      cmd.option(`--no-${flag}`, `same as --${flag}=false`);
    } else if (REPEATABLE.has(key)) {
      // Repeating the flag adds to the list (same as one comma-separated value).
      cmd.option(`--${flag} <value>`, `${help}; repeatable`, (v: string, prev: string | undefined) => (prev ? `${prev},${v}` : v));
    } else cmd.option(`--${flag} <value>`, help);
  }
  return cmd;
}

/** Loads the Config from parsed flags (commander's camelCase names match config keys). */
export function configFromFlags(flags: Readonly<Record<string, unknown>>): Config {
  const { config: file, ...rest } = flags;
  const known = Object.fromEntries(Object.entries(rest).filter(([k]) => k in configSchema.shape));
  return loadConfig({ file: typeof file === 'string' ? file : undefined, flags: known });
}
