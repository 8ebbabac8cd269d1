// A minimal zip writer for tests: Store or Deflate entries, with hooks to lie about CRC and sizes.
// Hand-written on purpose: yazl (used for real zips) refuses the unclean, absolute and `..` names
// and the lying headers that the refusal tests need to build.

import { crc32, deflateRawSync } from 'node:zlib';

export interface TestZipEntry {
  readonly name: string;
  readonly data?: Buffer | string;
  readonly method?: 0 | 8;
  /** Override the recorded CRC-32 / uncompressed size (to build corrupt zips). */
  readonly crc?: number;
  readonly declaredSize?: number;
}

/** Builds a zip archive (no data descriptors, no zip64) from the entries, in order. */
export function buildZip(entries: readonly TestZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const method = e.method ?? 8;
    const body = method === 8 ? deflateRawSync(data) : data;
    const name = Buffer.from(e.name, 'utf8');
    const crc = e.crc ?? crc32(data);
    const size = e.declaredSize ?? data.length;
    // The fields both headers carry, at their offsets in the local (30-byte) and central (46-byte) header.
    const shared: Array<[local: number, central: number, bytes: 2 | 4, value: number]> = [
      [4, 6, 2, 20], // version needed
      [6, 8, 2, 0x0800], // flags: UTF-8 names
      [8, 10, 2, method],
      [14, 16, 4, crc >>> 0],
      [18, 20, 4, body.length],
      [22, 24, 4, size],
      [26, 28, 2, name.length],
    ];
    const local = Buffer.alloc(30);
    const central = Buffer.alloc(46);
    local.writeUInt32LE(0x04034b50, 0);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    for (const [lo, co, bytes, value] of shared) {
      if (bytes === 2) {
        local.writeUInt16LE(value, lo);
        central.writeUInt16LE(value, co);
      } else {
        local.writeUInt32LE(value, lo);
        central.writeUInt32LE(value, co);
      }
    }
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
