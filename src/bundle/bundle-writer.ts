// Writes a bundle: a tar stream (tar-stream) compressed with gzip (node:zlib) into a temp file that
// is renamed onto the target when complete. Entries are written one at a time and file entries are
// streamed from disk, so memory stays flat whatever the zip sizes.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip, constants as zlibConstants } from 'node:zlib';
import tar from 'tar-stream';

export interface BundleWriter {
  addBuffer(name: string, data: Buffer): Promise<void>;
  /** Streams a local file of known size into the bundle. */
  addFile(name: string, localPath: string, size: number): Promise<void>;
  /** Ends the tar, waits for the file to be complete and moves it to its name. */
  finish(): Promise<void>;
  /** Removes the partial file. */
  abort(): Promise<void>;
  /** Compressed bytes written so far. */
  readonly bytesWritten: number;
}

/** Opens `out` for writing (really `out.partial-*` until finish). */
export function createBundleWriter(out: string): BundleWriter {
  const tmp = `${out}.partial-${process.pid}`;
  const pack = tar.pack();
  const file = createWriteStream(tmp);
  // Zips are already compressed: a fast level keeps export CPU-bound work small.
  const done = pipeline(pack, createGzip({ level: zlibConstants.Z_BEST_SPEED }), file);
  done.catch(() => undefined);
  const header = (name: string, size: number) => ({ name, size, mode: 0o644, mtime: new Date(0), type: 'file' as const });
  return {
    get bytesWritten() {
      return file.bytesWritten;
    },
    addBuffer(name, data) {
      return new Promise((resolve, reject) => {
        pack.entry(header(name, data.length), data, (err) => (err ? reject(err) : resolve()));
      });
    },
    async addFile(name, localPath, size) {
      const entry = pack.entry(header(name, size));
      await pipeline(createReadStream(localPath), entry);
    },
    async finish() {
      pack.finalize();
      await done;
      await rename(tmp, out);
    },
    async abort() {
      pack.destroy();
      await done.catch(() => undefined);
      await rm(tmp, { force: true });
    },
  };
}
