// Offline operation (`--upstream off`): nothing is fetched; storage (imported bundles) answers.
import type { Config } from './config-schema.js';

/** True when the upstream list starts with `off`. */
export function isOffline(config: Pick<Config, 'upstream'>): boolean {
  return config.upstream[0]?.kind === 'off';
}
