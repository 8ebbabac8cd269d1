// Reads a module zip's entries (yauzl) so tests can rebuild altered copies with buildZip.
import yauzl from 'yauzl';

export interface RawEntry {
  readonly name: string;
  readonly data: Buffer;
}

export async function readZipEntries(bytes: Buffer): Promise<RawEntry[]> {
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, z) => (err ? rej(err) : res(z))),
  );
  const out: RawEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          out.push({ name: entry.fileName, data: Buffer.concat(chunks) });
          zip.readEntry();
        });
        stream.on('error', reject);
      });
    });
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
  return out;
}
