// The storage drivers by URL scheme. A driver is one file (implementing Storage and passing
// storage-compliance.ts) plus one line here: the accepted form, a check of what follows
// `scheme://`, and a loader. Loaders use dynamic import() so that a driver's dependencies (the S3
// SDK) are loaded only when a config names it.
import { resolve } from 'node:path';
import { ModgateError } from '../errors/modgate-error.js';
import type { OpenedStorage, StorageOpener, StorageSettings } from './storage-driver.js';

/** A parsed storage setting: which driver, and the rest of the URL (after `scheme://`). */
export interface StorageTarget {
  readonly scheme: string;
  /** What follows `scheme://`; for fs an empty location means the cache directory. */
  readonly location: string;
}

interface StorageDriver {
  /** Accepted form, for error messages and docs. */
  readonly form: string;
  /** Another spelling of a driver listed before it (not repeated in messages). */
  readonly alias?: true;
  /** What may follow `scheme://`. */
  readonly location: RegExp;
  readonly open: StorageOpener;
}

async function openFs(location: string, settings: StorageSettings): Promise<OpenedStorage> {
  const { createFsStorage } = await import('./fs-storage.js');
  const root = resolve(location || settings.cacheDir);
  return { storage: createFsStorage(root), localRoot: root };
}

const DRIVERS: Readonly<Record<string, StorageDriver>> = {
  fs: { form: 'fs://DIR', location: /^.+$/, open: openFs },
  s3: { form: 's3://BUCKET[/PREFIX]', location: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/\S*)?$/, open: async (l, s) => (await import('./s3-storage.js')).openS3Storage(l, s) },
  memory: { form: 'memory://', location: /^$/, open: async () => ({ storage: (await import('./memory-storage.js')).createMemoryStorage() }) },
  file: { form: 'file://DIR', alias: true, location: /^.+$/, open: openFs },
};

/** The accepted forms of every driver, for messages and docs. */
export const STORAGE_FORMS: string = Object.values(DRIVERS).filter((d) => !d.alias).map((d) => d.form).join(' or ');

/** Parses a storage URL; empty means the filesystem at the cache directory. Throws CONFIG_INVALID. */
export function parseStorageUrl(url: string): StorageTarget {
  if (url === '') return { scheme: 'fs', location: '' };
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(url);
  const driver = m ? DRIVERS[m[1]!] : undefined;
  if (!m || !driver || !driver.location.test(m[2]!)) {
    throw new ModgateError('CONFIG_INVALID', `expected ${STORAGE_FORMS}; got ${JSON.stringify(url)}`);
  }
  return { scheme: m[1]!, location: m[2]! };
}

/** Opens the storage a target names (loading its driver). */
export function openStorage(target: StorageTarget, settings: StorageSettings): Promise<OpenedStorage> {
  const driver = DRIVERS[target.scheme];
  if (!driver) throw new ModgateError('CONFIG_INVALID', `unknown storage scheme ${target.scheme}://; expected ${STORAGE_FORMS}`);
  return driver.open(target.location, settings);
}
