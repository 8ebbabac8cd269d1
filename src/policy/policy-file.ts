// The version policy file (--policy FILE, JSON): which versions of which modules are admitted.
// Parsed and checked here into a VersionPolicy (ranges parsed, durations in ms); a bad file is
// refused with every problem named by its field. docs/version-policy.md shows the format.
import * as z from 'zod';
import { parseJsonFile, readSettingFile } from '../config/json-file.js';
import { patternList } from '../config/pattern-list.js';
import { parseVersionRange, type VersionRange } from '../module/version-range.js';
import { isCanonical } from '../module/version.js';
import { watchForChanges } from '../config/watched-file.js';

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration as written ("72h", "7d", "30m", "45s", "0") in ms; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  if (text.trim() === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration (expected e.g. "72h", "7d", "30m", "45s" or "0")` });
    return z.NEVER;
  }
  return { ms, text };
});

const range = z.string().transform((text, ctx): VersionRange => {
  try {
    return parseVersionRange(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const exactVersion = z.string().superRefine((v, ctx) => {
  if (!isCanonical(v)) ctx.addIssue({ code: 'custom', message: `"${v}" is not a canonical Go version (expected e.g. v1.2.3)` });
});

const rule = z
  .object({
    /** GOPRIVATE-style patterns the rule applies to. */
    modules: patternList.refine((p) => p !== '', 'give at least one module pattern'),
    /** Version ranges refused (Go semver order). */
    deny: z.array(range).default([]),
    /** When given: the only versions admitted for these modules (the other rules still apply). */
    allow: z.array(exactVersion).min(1).optional(),
  })
  .strict();

const policyFile = z
  .object({
    /** enforce: refuse (403); dry-run: report what would be refused and admit it. */
    mode: z.enum(['enforce', 'dry-run']).default('enforce'),
    /** Least age of a version (by its upstream .info Time) before it is admitted; "0" = none. */
    coolDown: duration.prefault('0'),
    /** Module patterns the cool-down does not apply to. */
    coolDownExceptions: patternList.prefault(''),
    /** Refuse versions retracted by the module's newest go.mod. */
    refuseRetracted: z.boolean().default(true),
    rules: z.array(rule).default([]),
  })
  .strict();

export type VersionPolicy = z.infer<typeof policyFile>;
export type PolicyRule = VersionPolicy['rules'][number];

/** Parses the file's text; throws CONFIG_INVALID naming the file and every problem by its field. */
export function parsePolicyFile(text: string, file: string): VersionPolicy {
  return parseJsonFile(policyFile, text, file, 'docs/version-policy.md');
}

export async function loadPolicyFile(file: string): Promise<VersionPolicy> {
  return parsePolicyFile(await readSettingFile(file, 'policy file'), file);
}

export interface WatchedPolicy {
  /** The policy read at start. */
  readonly policy: VersionPolicy;
  /** Reads the file again (SIGHUP): a good file is handed to onPolicy, a bad one to onError (the previous policy stays). */
  reload(): Promise<void>;
  close(): void;
}

/** Reads the policy file (a bad one stops the start with CONFIG_INVALID) and reads it again when it changes. */
export async function watchPolicyFile(file: string, onPolicy: (p: VersionPolicy) => void, onError: (err: Error) => void): Promise<WatchedPolicy> {
  const policy = await loadPolicyFile(file);
  const reload = async (): Promise<void> => {
    try {
      onPolicy(await loadPolicyFile(file));
    } catch (err) {
      onError(err as Error);
    }
  };
  const watch = watchForChanges([file], () => void reload());
  return { policy, reload, close: () => watch.close() };
}
