// openZipPackages over real zips: which directories are packages, and what each imports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openZipPackages } from './zip-imports.js';
import { writeModuleZip } from '../../test/support/module-zip.js';

test('packages are directories with non-test .go files (not testdata, vendor, _ or .); imports skip tests and ignore-constrained files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-zipimports-'));
  try {
    const file = join(dir, 'm.zip');
    await writeModuleZip(file, 'example.com/m', 'v1.0.0', {
      'go.mod': 'module example.com/m\n',
      'm.go': 'package m\n\nimport (\n\t"fmt"\n\t"example.com/m/sub"\n\t"example.com/dep"\n)\n',
      'm_test.go': 'package m\n\nimport "example.com/testonly"\n',
      'gen.go': '//go:build ignore\n\npackage main\n\nimport "example.com/generator"\n',
      'sub/sub.go': 'package sub\n\nimport "example.com/other/pkg"\n',
      'testdata/t.go': 'package t\n',
      'vendor/v/v.go': 'package v\n',
      '_tools/t.go': 'package t\n',
      'docs/README': 'not go\n',
    });
    const z = await openZipPackages(await readFile(file), { path: 'example.com/m', version: 'v1.0.0' });
    try {
      assert.deepEqual([...z.packages].sort(), ['example.com/m', 'example.com/m/sub']);
      assert.deepEqual((await z.imports('example.com/m')).sort(), ['example.com/dep', 'example.com/m/sub', 'fmt']);
      assert.deepEqual(await z.imports('example.com/m/sub'), ['example.com/other/pkg']);
      assert.deepEqual(await z.imports('example.com/m/nope'), []);
    } finally {
      z.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
