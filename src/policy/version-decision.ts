// The version policy's decision for one module version, from what is known about it: the rules
// that apply to its path, the retractions of the module's newest go.mod, its publication time (the
// upstream's .info Time) and the clock. Pure: the caller gathers the inputs (policy-cache.ts).
// Rules are checked in this order, the first refusal wins: allow list, denied ranges, retraction,
// cool-down.
import { matchPrefixPatterns } from '../module/patterns.js';
import { retractionOf, type RetractInterval } from '../module/retractions.js';
import type { VersionRange } from '../module/version-range.js';
import type { VersionPolicy } from './policy-file.js';

export type PolicyRuleName = 'allow-list' | 'deny-range' | 'retracted' | 'cool-down';

export type Decision =
  | { readonly admitted: true }
  | {
      readonly admitted: false;
      readonly rule: PolicyRuleName;
      /** Short, for the 403 body (the go command shows 648 bytes of it). */
      readonly reason: string;
      /** When a cool-down refusal ends (ms since the epoch). */
      readonly until?: number;
    };

export const ADMITTED: Decision = { admitted: true };

/** The rules that apply to one module path. */
export interface PathRules {
  readonly deny: readonly VersionRange[];
  /** The only versions admitted (the union of the matching rules' allow lists); undefined = any. */
  readonly allow: ReadonlySet<string> | undefined;
  readonly allowFrom: string;
  readonly coolDown: { readonly ms: number; readonly text: string };
  readonly refuseRetracted: boolean;
}

export function rulesFor(policy: VersionPolicy, path: string): PathRules {
  const matching = policy.rules.filter((r) => matchPrefixPatterns(r.modules, path));
  const allowing = matching.filter((r) => r.allow !== undefined);
  const exempt = policy.coolDownExceptions !== '' && matchPrefixPatterns(policy.coolDownExceptions, path);
  return {
    deny: matching.flatMap((r) => r.deny),
    allow: allowing.length > 0 ? new Set(allowing.flatMap((r) => r.allow ?? [])) : undefined,
    allowFrom: allowing.map((r) => r.modules).join(','),
    coolDown: exempt ? { ms: 0, text: '0' } : policy.coolDown,
    refuseRetracted: policy.refuseRetracted,
  };
}

/** The retractions of a module: its newest version's go.mod `retract` intervals. */
export interface Retractions {
  readonly newest: string;
  readonly intervals: ReadonlyArray<RetractInterval & { readonly rationale?: string }>;
}

const shown = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

const refuse = (rule: PolicyRuleName, reason: string, until?: number): Decision => ({ admitted: false, rule, reason, ...(until !== undefined ? { until } : {}) });

/** The refusal by the rules that need no publication time, if any. */
export function staticRefusal(rules: PathRules, version: string, retractions: Retractions | undefined): Decision | undefined {
  if (rules.allow && !rules.allow.has(version)) {
    return refuse('allow-list', `not on the allow list of ${rules.allowFrom.length <= 120 ? rules.allowFrom : 'its rules'} (${rules.allow.size} versions allowed)`);
  }
  const denied = rules.deny.find((r) => r.matches(version));
  if (denied) return refuse('deny-range', `in the denied range "${denied.text}"`);
  if (rules.refuseRetracted && retractions) {
    const r = retractionOf(retractions.intervals, version);
    if (r) {
      const why = r.rationale ? `: ${r.rationale.length <= 120 ? r.rationale : `${r.rationale.slice(0, 117)}...`}` : '';
      return refuse('retracted', `retracted by the module's go.mod at ${retractions.newest}${why}`);
    }
  }
  return undefined;
}

/** True when deciding needs the version's publication time (a cool-down applies). */
export const needsPublished = (rules: PathRules): boolean => rules.coolDown.ms > 0;

export interface DecisionInput {
  readonly version: string;
  readonly retractions: Retractions | undefined;
  /** The upstream's .info Time (RFC 3339); read only when a cool-down applies; undefined = none given. */
  readonly published: string | undefined;
  readonly now: number;
}

/** The decision for a version of a path under `rules`. */
export function decideVersion(rules: PathRules, input: DecisionInput): Decision {
  const refused = staticRefusal(rules, input.version, input.retractions);
  if (refused) return refused;
  if (!needsPublished(rules)) return ADMITTED;
  const published = input.published === undefined ? NaN : Date.parse(input.published);
  if (Number.isNaN(published)) return refuse('cool-down', `the upstream gives no publication time, which the ${rules.coolDown.text} cool-down needs`);
  const until = published + rules.coolDown.ms;
  if (input.now < until) return refuse('cool-down', `published ${shown(published)}; the ${rules.coolDown.text} cool-down admits it from ${shown(until)}`, until);
  return ADMITTED;
}
