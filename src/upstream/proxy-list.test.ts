// GOPROXY list parsing, with cases from the go command's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyList, redactUrl } from './proxy-list.js';

test('parseProxyList follows the go command', () => {
  const cases: Array<[string, unknown]> = [
    ['', [{ kind: 'url', url: 'https://proxy.golang.org', fallBackOnError: false }, { kind: 'direct', fallBackOnError: false }]],
    ['https://a,https://b|file:///mirror,off', [
      { kind: 'url', url: 'https://a', fallBackOnError: false },
      { kind: 'url', url: 'https://b', fallBackOnError: true },
      { kind: 'url', url: 'file:///mirror', fallBackOnError: false },
      { kind: 'off' },
    ]],
    ['proxy.example.com/go/', [{ kind: 'url', url: 'https://proxy.example.com/go', fallBackOnError: false }]],
    ['localhost:8080', [{ kind: 'url', url: 'https://localhost:8080', fallBackOnError: false }]],
    [' ,, http://x | off , http://never', [{ kind: 'url', url: 'http://x', fallBackOnError: true }, { kind: 'off' }]],
    ['https://a|direct,https://ignored', [{ kind: 'url', url: 'https://a', fallBackOnError: true }, { kind: 'direct', fallBackOnError: false }]],
  ];
  for (const [input, want] of cases) assert.deepEqual(parseProxyList(input), want, input);
});

test('parseProxyList rejects what the go command rejects, with the accepted form', () => {
  for (const bad of ['ftp://x', 'file://host/dir', 'noproxy', 'http://[bad']) {
    assert.throws(() => parseProxyList(bad), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID', bad);
  }
});

test('redactUrl strips credentials', () => {
  assert.equal(redactUrl('https://user:secret@proxy.example.com/go'), 'https://proxy.example.com/go');
  assert.equal(redactUrl('https://proxy.example.com'), 'https://proxy.example.com');
});
