// Builds the frozen Config from (lowest to highest precedence) the config file, MODGATE_* env vars,
// and command-line flags; a bad value stops startup with the field name and the accepted form.
import { readFileSync } from 'node:fs';
import { ModgateError } from '../errors/modgate-error.js';
import { configSchema, type Config, type ConfigKey } from './config-schema.js';

/** camelCase key → MODGATE_SNAKE_CASE env var name. */
export function envNameOf(key: string): string {
  return `MODGATE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The parts of a zod schema definition (`schema.def`) that say what a setting accepts as written. */
interface InputDef {
  readonly type: string;
  readonly innerType?: { readonly def: InputDef };
  readonly in?: { readonly def: InputDef };
  readonly defaultValue?: unknown;
}

/**
 * What a key accepts as a user writes it (the input side, before transforms): its base type
 * ('number', 'boolean', 'string', ...) and its default, read from the schema's definition
 * (cheap at startup, unlike generating its JSON schema).
 */
function inputOf(key: ConfigKey): { readonly type: string; readonly default: unknown } {
  let def = (configSchema.shape[key] as unknown as { def: InputDef }).def;
  let dflt: unknown;
  for (;;) {
    if ((def.type === 'default' || def.type === 'prefault') && dflt === undefined) dflt = def.defaultValue;
    const next = def.innerType ?? def.in;
    if (next === undefined) return { type: def.type, default: dflt };
    def = next.def;
  }
}

const ALL_KEYS = Object.keys(configSchema.shape) as ConfigKey[];
const INPUTS = new Map(ALL_KEYS.map((k) => [k, inputOf(k)]));
const numericKeys = new Set<string>(ALL_KEYS.filter((k) => INPUTS.get(k)?.type === 'number'));
const booleanKeys = new Set<string>(ALL_KEYS.filter((k) => INPUTS.get(k)?.type === 'boolean'));

/** True for settings that are booleans (flags: bare switch, --no-X, --X=false). */
export function isBooleanKey(key: ConfigKey): boolean {
  return booleanKeys.has(key);
}

/** A key's default as a user writes it (before transforms), e.g. '127.0.0.1:3000', 60, false. */
export function inputDefaultOf(key: ConfigKey): unknown {
  return INPUTS.get(key)?.default;
}

function coerce(key: string, raw: string): unknown {
  const t = raw.trim();
  if (numericKeys.has(key) && /^-?\d+$/.test(t)) return Number(t);
  if (booleanKeys.has(key)) {
    if (/^(true|1|yes|on)$/i.test(t)) return true;
    if (/^(false|0|no|off)$/i.test(t)) return false;
  }
  return raw;
}

export interface LoadConfigOptions {
  /** Path of a JSON config file (flag --config or MODGATE_CONFIG). */
  readonly file?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Values from command-line flags (already camelCase keys; strings or numbers). */
  readonly flags?: Readonly<Record<string, unknown>>;
}

export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const merged: Record<string, unknown> = {};
  const file = opts.file ?? env.MODGATE_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ModgateError('CONFIG_INVALID', `cannot read config file ${file}: ${(err as Error).message}`);
    }
    try {
      Object.assign(merged, JSON.parse(text) as Record<string, unknown>);
    } catch (err) {
      throw new ModgateError('CONFIG_INVALID', `config file ${file} is not valid JSON: ${(err as Error).message}`);
    }
  }
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[envNameOf(key)];
    if (v !== undefined && v !== '') merged[key] = coerce(key, v);
  }
  for (const [key, v] of Object.entries(opts.flags ?? {})) {
    if (v !== undefined) merged[key] = typeof v === 'string' ? coerce(key, v) : v;
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(config)';
      const where = key in configSchema.shape ? ` (flag --${flagNameOf(key as ConfigKey)}, env ${envNameOf(key)})` : '';
      return `${key}${where}: ${issue.message}`;
    });
    throw new ModgateError('CONFIG_INVALID', `invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return Object.freeze(parsed.data);
}

/** camelCase key → kebab-case flag name. */
export function flagNameOf(key: ConfigKey): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
