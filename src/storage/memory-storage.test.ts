// The memory driver against the shared storage compliance suite.
import { createMemoryStorage } from './memory-storage.js';
import { runStorageCompliance } from './storage-compliance.js';

runStorageCompliance('memory', () => Promise.resolve({ storage: createMemoryStorage(), cleanup: () => Promise.resolve() }));
