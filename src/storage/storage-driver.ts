// The contract between the storage registry and a storage driver's opener: the settings a driver
// may read and what opening returns. Kept apart from the registry so that drivers (loaded lazily
// by it) can name these types without importing the registry back.
import type { Storage } from './storage.js';

/** The settings drivers may read (a Config satisfies it). */
export interface StorageSettings {
  readonly cacheDir: string;
  readonly s3Endpoint: string;
  readonly s3Region: string;
  readonly s3ForcePathStyle: boolean;
}

export interface OpenedStorage {
  readonly storage: Storage;
  /** The local directory holding the objects (fs only): temp files there are swept at start. */
  readonly localRoot?: string;
}

/** Opens a driver's storage from what follows `scheme://` in the storage URL. */
export type StorageOpener = (location: string, settings: StorageSettings) => Promise<OpenedStorage>;
