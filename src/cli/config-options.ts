// Adds the config-schema flags (and --config) to a command, and loads the frozen Config from them.
import type { Command } from 'commander';
import { configSchema, type Config, type ConfigKey } from '../config/config-schema.js';
import { envNameOf, flagNameOf, loadConfig } from '../config/load-config.js';
import { CONFIG_DESCRIPTIONS as DESCRIPTIONS } from '../config/config-descriptions.js';



/** Adds `--config` and one flag per config key (all keys, or just `keys`). */
export function addConfigOptions(cmd: Command, keys: readonly ConfigKey[] = Object.keys(configSchema.shape) as ConfigKey[]): Command {
  cmd.option('--config <file>', 'JSON config file (env MODGATE_CONFIG)');
  for (const key of keys) cmd.option(`--${flagNameOf(key)} <value>`, `${DESCRIPTIONS[key]} (env ${envNameOf(key)})`);
  return cmd;
}

/** Loads the Config from parsed flags (commander's camelCase names match config keys). */
export function configFromFlags(flags: Readonly<Record<string, unknown>>): Config {
  const { config: file, ...rest } = flags;
  const known = Object.fromEntries(Object.entries(rest).filter(([k]) => k in configSchema.shape));
  return loadConfig({ file: typeof file === 'string' ? file : undefined, flags: known });
}
