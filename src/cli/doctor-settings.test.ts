// Unit tests for doctor's settings checks: private-looking paths, GOPROXY fallback, no-sumdb breadth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPrivateLeaks, checkSettings, privateReason } from './doctor-settings.js';
import { settingsFromEnvironment } from './doctor-env.js';

test('privateReason looks only at the host', () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['github.com/acme/lib', 'github.com/acme/app', undefined],
    ['golang.org/x/text', 'git.acme.com/app', undefined],
    ['git.acme.com/team/lib', 'git.acme.com/team/app', 'same host as the main module git.acme.com/team/app'],
    ['git.acme.com/team/app', 'git.acme.com/team/app', undefined],
    ['go.acme.lan/lib', 'example.com/app', 'host go.acme.lan has a non-public top-level domain'],
    ['nas.home.arpa/lib', 'example.com/app', 'host nas.home.arpa has a non-public top-level domain'],
    ['code.internal.acme.com/lib', 'example.com/app', 'host code.internal.acme.com has a "internal" label'],
    ['10.1.2.3/lib', 'example.com/app', 'host 10.1.2.3 is a private IP address'],
    ['internal.com/lib', 'example.com/app', undefined],
  ];
  for (const [path, main, want] of cases) assert.equal(privateReason(path, main), want, path);
});

const ids = (env: NodeJS.ProcessEnv): string[] => checkSettings(settingsFromEnvironment(env)).map((f) => f.id);

test('checkSettings: GOPROXY fallback rules', () => {
  const cases: Array<[string, string[]]> = [
    ['', []],
    ['https://a.example', ['goproxy-no-fallback']],
    ['https://a.example,direct', []],
    ['https://a.example|https://b.example', []],
    ['https://a.example,off', ['goproxy-no-fallback']],
    ['direct', []],
    ['off', ['goproxy-off']],
    ['ftp://x', ['goproxy-invalid']],
  ];
  for (const [goproxy, want] of cases) assert.deepEqual(ids({ GOPROXY: goproxy }), want, goproxy);
});

test('checkSettings: GONOSUMDB within GOPRIVATE is fine, beyond it is flagged', () => {
  assert.deepEqual(ids({ GOPRIVATE: 'corp.example.com', GONOSUMDB: 'corp.example.com/team' }), []);
  assert.deepEqual(ids({ GOPRIVATE: '*.corp.example.com', GONOSUMDB: 'git.corp.example.com' }), []);
  assert.deepEqual(ids({ GOPRIVATE: 'corp.example.com', GONOSUMDB: '*' }), ['gonosumdb-broader-than-goprivate']);
  // With GOSUMDB=off nothing is verified anyway: that is the finding.
  assert.deepEqual(ids({ GOSUMDB: 'off', GONOSUMDB: '*' }), ['gosumdb-off']);
});

test('checkPrivateLeaks names where the path goes', () => {
  const s = settingsFromEnvironment({ GOPROXY: 'https://proxy.example', GONOPROXY: 'git.acme.lan' });
  const f = checkPrivateLeaks(s, 'example.com/app', ['git.acme.lan/x', 'github.com/a/b']);
  assert.equal(f.length, 1);
  assert.match(f[0]!.message, /sends its path to the checksum database$/);
});
