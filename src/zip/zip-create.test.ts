// createModuleZip / checkSourceFiles: x/mod zip.Create's omission rules and errors, table-driven,
// and the h1 of a created zip equal to Go's own zip.CreateFromDir over the same tree.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { checkSourceFiles, createModuleZip, isVendoredPackage, type ZipSourceFile } from './zip-create.js';
import { checkModuleZip } from './zip-check.js';
import { createZipGo, writeTree } from '../../test/support/gohelper.js';
import { symlink } from 'node:fs/promises';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const file = (path: string, content = 'x', kind: ZipSourceFile['kind'] = 'file'): ZipSourceFile => ({
  path,
  kind,
  size: Buffer.byteLength(content),
  open: () => Readable.from([Buffer.from(content)]),
});

test('isVendoredPackage keeps files directly in vendor/ and has Go\'s middle-of-path quirk', () => {
  const cases: [string, boolean][] = [
    ['vendor/modules.txt', false],
    ['vendor/a/b.go', true],
    ['x/vendor/a.go', true], // quirk: name[len("/vendor/"):] still holds a slash
    ['x/vendor/a/b.go', true],
    ['vendorx/a/b.go', false],
    ['a/b/c/vendor/x.go', true], // quirk: the offset after "/vendor/" is not added
  ];
  for (const [p, want] of cases) assert.equal(isVendoredPackage(p), want, p);
});

test('checkSourceFiles omits and refuses what zip.Create does', () => {
  const files = [
    file('go.mod'),
    file('a.go'),
    file('vendor/modules.txt'),
    file('vendor/x/y.go'),
    file('nested/go.mod'),
    file('nested/n.go'),
    file('nested/deep/d.go'),
    file('.hg_archival.txt'),
    file('link.go', 'a.go', 'symlink'),
    file('dev', '', 'other'),
    file('GO.MOD'),
    file('a/../b.go'),
    file('/abs.go'),
    file('A.go'),
    file('bad\u0000name.go'),
    file('données/é.txt'),
  ];
  const r = checkSourceFiles(files);
  assert.deepEqual(r.valid.map((f) => f.path), ['go.mod', 'a.go', 'vendor/modules.txt', 'données/é.txt']);
  assert.deepEqual(r.omitted.map((f) => f.path), ['vendor/x/y.go', 'nested/go.mod', 'nested/n.go', 'nested/deep/d.go', '.hg_archival.txt', 'link.go', 'dev']);
  assert.deepEqual(r.invalid.map((f) => f.path), ['GO.MOD', 'a/../b.go', '/abs.go', 'A.go', 'bad\u0000name.go']);
  assert.match(r.invalid.find((f) => f.path === 'A.go')?.reason ?? '', /case-insensitive file name collision/);
});

test('createModuleZip refuses invalid files and writes a zip the checker accepts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-zipcreate-'));
  dirs.push(dir);
  await assert.rejects(createModuleZip({ path: 'example.com/m', version: 'v1.0.0', files: [file('a.go'), file('A.go')], outFile: join(dir, 'bad.zip') }), /ZIP_INVALID|case-insensitive/);
  await assert.rejects(createModuleZip({ path: 'example.com/m', version: 'v1.0', files: [], outFile: join(dir, 'v.zip') }), /not canonical/);
  const out = join(dir, 'ok.zip');
  await createModuleZip({ path: 'example.com/m', version: 'v1.0.0', files: [file('go.mod', 'module example.com/m\n'), file('a.go', 'package m\n')], outFile: out });
  const checked = await checkModuleZip(out, { path: 'example.com/m', version: 'v1.0.0' });
  assert.match(checked.h1, /^h1:/);
});

test('the h1 of a created zip equals Go\'s zip.CreateFromDir over the same tree', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-zipcreate-go-'));
  dirs.push(dir);
  const tree = join(dir, 'tree');
  const content: Record<string, string> = {
    'go.mod': 'module example.com/m\n',
    'a.go': 'package m\n',
    'crlf.txt': 'one\r\ntwo\r\n',
    'vendor/modules.txt': '# v\n',
    'vendor/x/y.go': 'package y\n',
    'nested/go.mod': 'module example.com/m/nested\n',
    'nested/n.go': 'package nested\n',
    '.hg_archival.txt': 'x\n',
    'données/é.txt': 'é\n',
  };
  await writeTree(tree, content);
  await symlink('a.go', join(tree, 'link.go'));
  const files: ZipSourceFile[] = [];
  for (const p of [...Object.keys(content), 'link.go']) {
    const st = await lstat(join(tree, p));
    const data = await readFile(join(tree, p)).catch(() => Buffer.alloc(0));
    files.push({ path: p, kind: st.isSymbolicLink() ? 'symlink' : 'file', size: st.size, open: () => Readable.from([data]) });
  }
  const ours = join(dir, 'ours.zip');
  await createModuleZip({ path: 'example.com/m', version: 'v1.2.3', files, outFile: ours });
  const go = await createZipGo({ path: 'example.com/m', version: 'v1.2.3', dir: tree, out: join(dir, 'go.zip') });
  assert.equal(go.error, null);
  assert.equal((await checkModuleZip(ours, { path: 'example.com/m', version: 'v1.2.3' })).h1, go.h1);
});
