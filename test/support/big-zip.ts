// Writes a large module zip to disk without holding it in memory (for memory tests): go.mod plus one
// stored (uncompressed) file of deterministic pseudo-random bytes, streamed in chunks.
import { createCipheriv } from 'node:crypto';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

const CHUNK = 4 << 20;

function* chunks(total: number): Generator<Buffer> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(CHUNK);
  for (let left = total; left > 0; left -= CHUNK) yield cipher.update(zeros.subarray(0, Math.min(CHUNK, left)));
}

function header(sig: number, central: boolean, name: Buffer, crc: number, size: number, offset: number): Buffer {
  const h = Buffer.alloc((central ? 46 : 30) + name.length);
  let o = 0;
  h.writeUInt32LE(sig, o); o += 4;
  if (central) { h.writeUInt16LE(20, o); o += 2; }
  h.writeUInt16LE(20, o); o += 2; // version needed
  h.writeUInt16LE(0x0800, o); o += 2; // UTF-8 names
  h.writeUInt16LE(0, o); o += 2; // stored
  h.writeUInt32LE(0, o); o += 4; // time/date
  h.writeUInt32LE(crc >>> 0, o); o += 4;
  h.writeUInt32LE(size, o); o += 4;
  h.writeUInt32LE(size, o); o += 4;
  h.writeUInt16LE(name.length, o); o += 2;
  h.writeUInt16LE(0, o); o += 2; // extra
  if (central) {
    o += 6; // comment len, disk, internal attrs (zero)
    h.writeUInt32LE(0, o); o += 4; // external attrs
    h.writeUInt32LE(offset, o); o += 4;
  }
  name.copy(h, o);
  return h;
}

/** A valid module zip for path@version with a `big.bin` of `bytes` bytes. */
export async function writeBigModuleZip(file: string, opts: { path: string; version: string; bytes: number; goMod: string }): Promise<void> {
  const prefix = `${opts.path}@${opts.version}/`;
  let bigCrc = 0;
  for (const c of chunks(opts.bytes)) bigCrc = crc32(c, bigCrc);
  const goMod = Buffer.from(opts.goMod);
  const entries = [
    { name: Buffer.from(`${prefix}go.mod`), crc: crc32(goMod), size: goMod.length, write: async (fh: Awaited<ReturnType<typeof open>>) => void (await fh.write(goMod)) },
    {
      name: Buffer.from(`${prefix}big.bin`), crc: bigCrc, size: opts.bytes,
      write: async (fh: Awaited<ReturnType<typeof open>>) => {
        for (const c of chunks(opts.bytes)) await fh.write(c);
      },
    },
  ];
  const fh = await open(file, 'w');
  try {
    let offset = 0;
    const offsets: number[] = [];
    for (const e of entries) {
      offsets.push(offset);
      const h = header(0x04034b50, false, e.name, e.crc, e.size, 0);
      await fh.write(h);
      await e.write(fh);
      offset += h.length + e.size;
    }
    const cdStart = offset;
    let cdSize = 0;
    for (const [i, e] of entries.entries()) {
      const h = header(0x02014b50, true, e.name, e.crc, e.size, offsets[i]!);
      await fh.write(h);
      cdSize += h.length;
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(cdSize, 12);
    end.writeUInt32LE(cdStart, 16);
    await fh.write(end);
  } finally {
    await fh.close();
  }
}
