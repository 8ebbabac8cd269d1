// The docs-examples extraction: which lines of a markdown text count as modgate commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractModgateCommands } from './doc-commands.js';

const MD = [
  '# Title', //                                          1
  '```sh', //                                            2
  'export X=1', //                                       3
  './bin/modgate serve --listen 0.0.0.0:3000 \\', //     4
  '  --cache-dir /tmp/c   # a comment', //               5
  'for port in 1 2; do', //                              6
  '  modgate serve --listen 127.0.0.1:$port &', //       7
  'done', //                                             8
  '```', //                                              9
  '```', //                                              10: no language, no prompt: a synopsis
  'modgate doctor [--json]', //                          11
  '```', //                                              12
  '```', //                                              13: no language, with a prompt
  '$ modgate prewarm go.mod --proxy http://p', //        14
  'prewarm through http://p: 3 module versions', //      15
  '```', //                                              16
  '```json', //                                          17
  '{ "modgate": 1 }', //                                 18
  '```', //                                              19
  '```console', //                                       20
  '$ modgate stats --server http://s', //                21
  'modgate is fine', //                                  22: output
  '```', //                                              23
].join('\n');

test('modgate commands: shell blocks, prompted lines, continuations, loops; synopses and output skipped', () => {
  assert.deepEqual(extractModgateCommands('d.md', MD).map((c) => `${c.line} ${c.text}`), [
    '4 ./bin/modgate serve --listen 0.0.0.0:3000 --cache-dir /tmp/c   # a comment',
    '7 modgate serve --listen 127.0.0.1:1',
    '7 modgate serve --listen 127.0.0.1:2',
    '14 modgate prewarm go.mod --proxy http://p',
    '21 modgate stats --server http://s',
  ]);
});
