// The one compliance suite every IntegrityGate must pass (basic, verifying; a gate's own test is one
// call): good .mod/.zip accepted with their go.sum hashes, zips breaking the go command's rules
// refused as ZIP_INVALID, and (for gates that verify) bytes other than the vouched ones refused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yazl from 'yazl';
import { isModgateError } from '../errors/modgate-error.js';
import { hashGoMod } from '../zip/dirhash.js';
import { checkModuleZip } from '../zip/zip-check.js';
import type { IntegrityGate } from './integrity-gate.js';
import { harness } from '../testing/harness.js';

/** A module version the gate's checksum database (if any) must vouch for. */
export interface KnownVersion {
  readonly path: string;
  readonly version: string;
  readonly modHash: string;
  readonly zipHash: string;
}

export interface GateUnderTest {
  readonly gate: IntegrityGate;
  cleanup(): Promise<void>;
}

export interface GateComplianceOptions {
  /** True for gates that compare with a checksum database: other bytes must be refused. */
  readonly verifies: boolean;
}

const PATH = 'example.com/gate';
const VERSION = 'v1.2.3';
const MOD = Buffer.from(`module ${PATH}\n\ngo 1.20\n`);

async function writeZip(file: string, entries: Record<string, string>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(entries)) zip.addBuffer(Buffer.from(data), name, { mtime: new Date(0), mode: 0o644 });
  zip.end();
  const out = createWriteStream(file);
  zip.outputStream.pipe(out);
  await once(out, 'close');
}

const goodEntries = (content = 'package gate\n'): Record<string, string> => ({
  [`${PATH}@${VERSION}/go.mod`]: MOD.toString(),
  [`${PATH}@${VERSION}/gate.go`]: content,
});

/**
 * `make(known)` builds a gate whose checksum database (if it has one) vouches for exactly `known`.
 */
export function runIntegrityGateCompliance(name: string, make: (known: readonly KnownVersion[]) => Promise<GateUnderTest>, opts: GateComplianceOptions): void {
  const subject = { path: PATH, version: VERSION, source: 'https://upstream.example' };
  let dir = '';
  let known: KnownVersion;
  const fixture = async (): Promise<GateUnderTest & { file: (name: string, entries: Record<string, string>) => Promise<string> }> => {
    dir = await mkdtemp(join(tmpdir(), 'modgate-gate-'));
    const good = join(dir, 'good.zip');
    await writeZip(good, goodEntries());
    known = { path: PATH, version: VERSION, modHash: hashGoMod(MOD), zipHash: (await checkModuleZip(good, { path: PATH, version: VERSION })).h1 };
    const under = await make([known]);
    return {
      gate: under.gate,
      file: async (n, entries) => {
        const f = join(dir, n);
        await writeZip(f, entries);
        return f;
      },
      cleanup: async () => {
        await under.cleanup();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
  const run = harness(fixture);
  const withGate = (fn: (g: Awaited<ReturnType<typeof fixture>>) => Promise<void>) => run((u) => u, fn);

  void describe(`integrity gate compliance: ${name}`, () => {
    void test('a good .mod is accepted with its go.sum hash', withGate(async ({ gate }) => {
      const r = await gate.checkMod(subject, MOD);
      assert.equal(r.h1 ?? known.modHash, known.modHash);
    }));

    void test('a good zip is accepted with its h1 (dirhash)', withGate(async ({ gate, file }) => {
      const r = await gate.checkZip(subject, await file('ok.zip', goodEntries()));
      assert.equal(r.h1, known.zipHash);
    }));

    void test('zips breaking the go command\'s rules are refused as ZIP_INVALID', withGate(async ({ gate, file }) => {
      const bad: Array<[string, Record<string, string>]> = [
        ['outside the prefix', { ...goodEntries(), 'other.example/x@v1.0.0/evil.go': 'package evil\n' }],
        ['another version', { [`${PATH}@v9.9.9/go.mod`]: MOD.toString() }],
        ['case collision', { ...goodEntries(), [`${PATH}@${VERSION}/Gate.go`]: 'package gate\n' }],
      ];
      for (const [what, entries] of bad) {
        await assert.rejects(gate.checkZip(subject, await file(`${what.replace(/\W/g, '-')}.zip`, entries)), (e) => isModgateError(e, 'ZIP_INVALID'), what);
      }
      const notZip = join(dir, 'page.html');
      await writeFile(notZip, '<html>login</html>\n');
      await assert.rejects(gate.checkZip(subject, notZip), (e) => isModgateError(e, 'ZIP_INVALID'), 'not a zip');
    }));

    if (opts.verifies) {
      void test('bytes other than the vouched ones are refused as CHECKSUM_MISMATCH', withGate(async ({ gate, file }) => {
        await assert.rejects(gate.checkMod(subject, Buffer.from(`module ${PATH}\n\ngo 1.21\n`)), (e) => isModgateError(e, 'CHECKSUM_MISMATCH'));
        await assert.rejects(gate.checkZip(subject, await file('other.zip', goodEntries('package gate // changed\n'))), (e) => isModgateError(e, 'CHECKSUM_MISMATCH'));
      }));
    } else {
      void test('without a checksum database, other well-formed bytes are accepted with their own hash', withGate(async ({ gate, file }) => {
        const other = Buffer.from(`module ${PATH}\n\ngo 1.21\n`);
        assert.equal((await gate.checkMod(subject, other)).h1, hashGoMod(other));
        assert.notEqual((await gate.checkZip(subject, await file('other.zip', goodEntries('package gate // changed\n')))).h1, known.zipHash);
      }));
    }
  });
}
