// The version policy's decisions, table-driven with an injected clock: allow lists, denied ranges,
// retractions, cool-down with its exceptions, and the order the rules are checked in; the policy
// file's errors name the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parsePolicyFile } from './policy-file.js';
import { decideVersion, rulesFor, type Decision, type Retractions } from './version-decision.js';

const NOW = Date.parse('2026-06-10T12:00:00Z');
const policy = parsePolicyFile(JSON.stringify({
  coolDown: '72h',
  coolDownExceptions: ['corp.example.com/*'],
  rules: [
    { modules: 'example.com/m', deny: ['>=v1.2.0 <v1.4.0', 'v0.9.1'] },
    { modules: 'example.com/pinned', allow: ['v1.0.0', 'v1.1.0'] },
    { modules: 'example.com/*', deny: ['<v0.5.0'] },
  ],
}), 'policy.json');
const retractions: Retractions = { newest: 'v1.5.0', intervals: [{ low: 'v1.1.0', high: 'v1.1.0', rationale: 'deletes files' }, { low: 'v0.6.0', high: 'v0.7.0' }] };
const OLD = '2026-01-01T00:00:00Z';
const YOUNG = '2026-06-09T12:00:00Z'; // 24h before NOW

test('decisions: allow list, denied ranges, retractions, cool-down (with exceptions), in that order', () => {
  const cases: Array<[path: string, version: string, published: string | undefined, rule: string | undefined, reason?: RegExp]> = [
    ['example.com/m', 'v1.0.0', OLD, undefined],
    ['example.com/m', 'v1.2.0', OLD, 'deny-range', /in the denied range ">=v1\.2\.0 <v1\.4\.0"/],
    ['example.com/m', 'v1.4.0-rc.1', OLD, 'deny-range'], // Go orders the prerelease below v1.4.0
    ['example.com/m', 'v1.4.0', OLD, undefined],
    ['example.com/m', 'v0.9.1', OLD, 'deny-range', /"v0\.9\.1"/],
    ['example.com/m', 'v0.4.0', OLD, 'deny-range', /"<v0\.5\.0"/], // the wildcard rule adds its range
    ['example.com/m', 'v1.1.0', OLD, 'retracted', /retracted by the module's go\.mod at v1\.5\.0: deletes files/],
    ['example.com/m', 'v0.6.5', OLD, 'retracted'],
    ['example.com/m', 'v1.5.0', YOUNG, 'cool-down', /published 2026-06-09T12:00:00Z; the 72h cool-down admits it from 2026-06-12T12:00:00Z/],
    ['example.com/m', 'v1.5.0', undefined, 'cool-down', /no publication time/],
    ['example.com/m', 'v1.5.0', '2026-06-07T12:00:00Z', undefined], // exactly 72h old
    ['example.com/m', 'v1.3.0', YOUNG, 'deny-range'], // the first refusal wins
    ['example.com/pinned', 'v1.0.0', OLD, undefined],
    ['example.com/pinned', 'v1.2.0', OLD, 'allow-list', /not on the allow list of example\.com\/pinned \(2 versions allowed\)/],
    ['example.com/pinned', 'v1.1.0', OLD, 'retracted'], // allowed, but the other rules still apply
    ['corp.example.com/lib', 'v2.0.0', YOUNG, undefined], // cool-down exception
    ['other.org/x', 'v1.1.0', OLD, 'retracted'],
    ['other.org/x', 'v9.0.0', YOUNG, 'cool-down'],
  ];
  for (const [path, version, published, rule, reason] of cases) {
    const d: Decision = decideVersion(rulesFor(policy, path), { version, retractions, published, now: NOW });
    assert.equal(d.admitted ? undefined : d.rule, rule, `${path}@${version}`);
    if (reason && !d.admitted) assert.match(d.reason, reason, `${path}@${version}`);
  }
});

test('a cool-down refusal says when it ends; retractions can be turned off', () => {
  const d = decideVersion(rulesFor(policy, 'example.com/m'), { version: 'v1.5.0', retractions, published: YOUNG, now: NOW });
  assert.equal(!d.admitted && d.until, Date.parse('2026-06-12T12:00:00Z'));
  const lax = parsePolicyFile('{"refuseRetracted": false}', 'p.json');
  assert.equal(decideVersion(rulesFor(lax, 'example.com/m'), { version: 'v1.1.0', retractions, published: undefined, now: NOW }).admitted, true);
});

test('durations, and a bad policy file names each wrong field', () => {
  assert.deepEqual(['72h', '7d', '30m', '45s', '0', '1.5h', '3 days', '-1h'].map(parseDuration), [259_200_000, 604_800_000, 1_800_000, 45_000, 0, 5_400_000, undefined, undefined]);
  const bad = JSON.stringify({ mode: 'audit', coolDown: '3 days', rules: [{ modules: '', deny: ['>=1.0'], allow: ['v1'] }], extra: 1 });
  assert.throws(() => parsePolicyFile(bad, 'p.json'), (err: Error) => {
    for (const want of ['p.json: ', 'mode: ', 'coolDown: "3 days" is not a duration', 'rules.0.modules: give at least one module pattern', 'rules.0.deny.0: ">=1.0": "1.0" is not a Go semantic version', 'rules.0.allow.0: "v1" is not a canonical Go version', 'Unrecognized key']) {
      assert.ok(err.message.includes(want), `${want} missing from: ${err.message}`);
    }
    return true;
  });
  assert.throws(() => parsePolicyFile('{', 'p.json'), /p\.json: not JSON/);
});
