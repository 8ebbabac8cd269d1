// Adds the config-schema flags (and --config) to a command, and loads the frozen Config from them.
import type { Command } from 'commander';
import { configSchema, type Config, type ConfigKey } from '../config/config-schema.js';
import { envNameOf, flagNameOf, loadConfig } from '../config/load-config.js';
import { CONFIG_DESCRIPTIONS as DESCRIPTIONS } from '../config/config-descriptions.js';



const REPEATABLE = new Set<ConfigKey>(['sumdb', 'private', 'noproxy', 'nosumdb', 'insecure', 'allow', 'deny', 'adminTokens', 'clientTokens']);

/** Adds `--config` and one flag per config key (all keys, or just `keys`). */
export function addConfigOptions(cmd: Command, keys: readonly ConfigKey[] = Object.keys(configSchema.shape) as ConfigKey[]): Command {
  cmd.option('--config <file>', 'JSON config file (env MODGATE_CONFIG)');
  for (const key of keys) {
    const help = `${DESCRIPTIONS[key]} (env ${envNameOf(key)})`;
    if (REPEATABLE.has(key)) {
      // Repeating the flag adds to the list (same as one comma-separated value).
      cmd.option(`--${flagNameOf(key)} <value>`, `${help}; repeatable`, (v: string, prev: string | undefined) => (prev ? `${prev},${v}` : v));
    } else cmd.option(`--${flagNameOf(key)} <value>`, help);
  }
  return cmd;
}

/** Loads the Config from parsed flags (commander's camelCase names match config keys). */
export function configFromFlags(flags: Readonly<Record<string, unknown>>): Config {
  const { config: file, ...rest } = flags;
  const known = Object.fromEntries(Object.entries(rest).filter(([k]) => k in configSchema.shape));
  return loadConfig({ file: typeof file === 'string' ? file : undefined, flags: known });
}
