// Config flags as commander parses them: every boolean setting works as a bare switch, as --no-X,
// and as --X=false / --X true (also when another flag follows); help shows env vars and defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addConfigOptions, configFromFlags } from './config-options.js';
import type { Config } from '../config/config-schema.js';
import { configSchema } from '../config/config-schema.js';
import { flagNameOf, isBooleanKey } from '../config/load-config.js';
import type { ConfigKey } from '../config/config-schema.js';

function parse(args: string[]): Config {
  const cmd = addConfigOptions(new Command('serve').exitOverride());
  cmd.parse(args, { from: 'user' });
  return configFromFlags(cmd.opts());
}

const BOOLEANS = (Object.keys(configSchema.shape) as ConfigKey[]).filter(isBooleanKey);

test('every boolean setting: bare switch, --no-X, --X=false, --X true, --X false', () => {
  assert.deepEqual(BOOLEANS.sort(), ['policyDryRun', 'prefetch', 'prefetchModZips', 's3ForcePathStyle', 's3ZipRedirect']);
  for (const key of BOOLEANS) {
    const f = flagNameOf(key);
    const get = (args: string[]) => parse(args)[key];
    assert.equal(get([`--${f}`, '--redis', 'redis://127.0.0.1:1']), true, `--${f} --redis`);
    assert.equal(get([`--${f}`]), true, `--${f}`);
    assert.equal(get([`--no-${f}`]), false, `--no-${f}`);
    assert.equal(get([`--${f}=false`]), false, `--${f}=false`);
    assert.equal(get([`--${f}=true`]), true, `--${f}=true`);
    assert.equal(get([`--${f}`, 'false', '--listen', '127.0.0.1:1']), false, `--${f} false`);
    assert.equal(get([`--${f}`, 'true']), true, `--${f} true`);
    assert.throws(() => get([`--${f}`, 'maybe']), /flag --/, `--${f} maybe`);
  }
  // The switch followed by another flag keeps that flag's value (the scale-out docs' command).
  const c = parse(['--s3-force-path-style', '--redis', 'redis://127.0.0.1:6379']);
  assert.equal(c.redis, 'redis://127.0.0.1:6379');
});

test('a flag left out does not hide the env var (defaults come from the schema)', () => {
  const cmd = addConfigOptions(new Command('serve').exitOverride());
  cmd.parse([], { from: 'user' });
  assert.deepEqual(Object.values(cmd.opts()).filter((v) => v !== undefined), []);
});

test('help shows every flag with its env var and default; boolean forms spelled out', () => {
  const help = addConfigOptions(new Command('serve')).helpInformation();
  assert.match(help, /--listen <value>\s+HOST:PORT to listen on .*\(env MODGATE_LISTEN; default: 127\.0\.0\.1:3000\)/);
  assert.match(help, /--s3-force-path-style \[true\|false\]/);
  assert.match(help, /--no-s3-force-path-style/);
  assert.match(help, /--upstream <value>[\s\S]*default: https:\/\/proxy\.golang\.org,direct/);
  assert.match(help, /--prefetch \[true\|false\][\s\S]*default: true/);
  for (const key of Object.keys(configSchema.shape) as ConfigKey[]) assert.ok(help.includes(`--${flagNameOf(key)}`), key);
});
