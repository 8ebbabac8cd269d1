// goFileImports: the imports of a Go file's head, as the go command reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goFileImports } from './go-imports.js';

test('single, grouped, named, dot and blank imports; comments anywhere; stops at the first declaration', () => {
  const src = [
    '// Copyright notice',
    '/* block */',
    '',
    '// Package x does things.',
    'package x // trailing',
    '',
    'import "fmt"',
    'import (',
    '\t"example.com/a" // why',
    '\tb "example.com/b"',
    '\t. "example.com/dot"',
    '\t_ "example.com/blank"; "example.com/semi"',
    '\t/* c */ `example.com/raw`',
    ')',
    'import z "example.com/z"',
    '',
    'func f() { _ = "example.com/not-an-import" }',
    'import "example.com/after"',
  ].join('\n');
  assert.deepEqual(goFileImports(src), {
    ignored: false,
    imports: ['fmt', 'example.com/a', 'example.com/b', 'example.com/dot', 'example.com/blank', 'example.com/semi', 'example.com/raw', 'example.com/z'],
  });
});

test('a //go:build ignore file is reported ignored; other constraints are not', () => {
  assert.equal(goFileImports('//go:build ignore\n\npackage main\n\nimport "example.com/gen"\n').ignored, true);
  assert.equal(goFileImports('//go:build ignore && linux\npackage main\n').ignored, true);
  assert.equal(goFileImports('//go:build !ignore\npackage main\n').ignored, false);
  assert.equal(goFileImports('//go:build windows\npackage main\nimport "example.com/w"\n').ignored, false);
  assert.deepEqual(goFileImports('//go:build windows\npackage main\nimport "example.com/w"\n').imports, ['example.com/w']);
});

test('no package clause, or a malformed import, yields what was read before it', () => {
  assert.deepEqual(goFileImports('not go at all').imports, []);
  assert.deepEqual(goFileImports('package x\nimport (\n"example.com/a"\n"unterminated\n').imports, ['example.com/a']);
  assert.deepEqual(goFileImports('package x\nimport "example.com/\\u0061"\n').imports, [], 'escaped paths are skipped');
});
