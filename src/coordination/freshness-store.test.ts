// The in-memory FreshnessStore and local PurgeBus against the shared freshness compliance suite.
import { createLocalPurgeBus, createMemoryFreshnessStore } from './freshness-store.js';
import { runFreshnessCompliance } from './freshness-compliance.js';

runFreshnessCompliance('memory', async () => ({
  replica: () => ({ store: createMemoryFreshnessStore(), bus: createLocalPurgeBus() }),
  cleanup: () => Promise.resolve(),
}));
