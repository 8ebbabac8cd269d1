// Wiring of the version policy (--policy FILE): the file, watched and re-read on change or SIGHUP
// (a bad file keeps the policy in force), and the policy service whose decisions read the cache.
import type { Config } from './config/config-schema.js';
import type { ModuleCache } from './cache/module-cache.js';
import { createVersionPolicy, type VersionPolicyService } from './policy/policy-cache.js';
import { watchPolicyFile } from './policy/policy-file.js';
import type { Observation } from './compose-observe.js';

export interface PolicyParts {
  readonly service: VersionPolicyService;
  /** Re-reads the file (SIGHUP). */
  reload(): Promise<void>;
  close(): void;
}

/** Undefined without --policy. `source` is the unwrapped cache (created after the policy). */
export async function createPolicy(
  config: Config,
  deps: { source: () => ModuleCache; rememberMs: number; observe: Pick<Observation, 'onPolicyReload' | 'onPolicyRefusal'> },
): Promise<PolicyParts | undefined> {
  if (config.policy === '') return undefined;
  const file = await watchPolicyFile(config.policy, (p) => {
    service.replace(p);
    deps.observe.onPolicyReload();
  }, deps.observe.onPolicyReload);
  const service = createVersionPolicy({
    policy: file.policy,
    dryRun: config.policyDryRun,
    source: deps.source,
    rememberMs: deps.rememberMs,
    onRefusal: deps.observe.onPolicyRefusal,
  });
  return { service, reload: () => file.reload(), close: () => file.close() };
}
