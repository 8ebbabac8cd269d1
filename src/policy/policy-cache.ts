// The version policy applied to the module cache. wrap() gives the cache as clients see it: a
// version the policy refuses is answered 403 VERSION_REFUSED (in dry-run: reported and served),
// and @v/list and @latest skip refused versions (so `go get m@latest` and `go get -u` pick an
// admitted one); admit() is the check the cache runs before it fetches a version's zip (prefetch
// included). The inputs of a decision (the module's list and newest go.mod for retractions, the
// version's .info for its time) are read through the unwrapped cache: .info and .mod are fetched
// and kept to decide, the zip only once admitted. Decisions are remembered (for the list TTL, a
// cool-down refusal until it ends) so the cache's memory step (inMemory, which the hit fast path
// asks) applies the same decision synchronously; a decision not made yet sends the request on to
// the general path, which makes it.
import pLimit from 'p-limit';
import { LRUCache } from 'lru-cache';
import { entryBound } from '../cache/lru-bound.js';
import { ModgateError, isNotFound } from '../errors/modgate-error.js';
import { objectFromBytes, type CachedObject } from '../cache/cached-object.js';
import type { ModuleCache } from '../cache/module-cache.js';
import { parseGoMod } from '../module/go-mod.js';
import { isPseudoVersion } from '../module/pseudo.js';
import { newestVersion } from '../module/retractions.js';
import { isCanonical } from '../module/version.js';
import type { VersionPolicy } from './policy-file.js';
import { decideVersion, needsPublished, rulesFor, staticRefusal, type Decision, type PolicyRuleName, type Retractions } from './version-decision.js';

export type PolicyMode = 'enforce' | 'dry-run';

/** A request for a version the policy refuses (refused with 403, or in dry-run served). */
export interface PolicyRefusal {
  readonly path: string;
  readonly version: string;
  readonly rule: PolicyRuleName;
  readonly reason: string;
  readonly mode: PolicyMode;
  /** The first report of this refusal by this process in 10 minutes (log it, record an event). */
  readonly first: boolean;
}

export interface VersionPolicyOptions {
  readonly policy: VersionPolicy;
  /** Report but never refuse, whatever the file's mode (--policy-dry-run). */
  readonly dryRun?: boolean;
  /** The unwrapped cache the decisions read from (list, .info, .mod; never a zip). Called lazily. */
  readonly source: () => Pick<ModuleCache, 'list' | 'info' | 'mod'>;
  /** How long a decision is remembered: the list TTL (a new version may retract this one). */
  readonly rememberMs: number;
  readonly now?: () => number;
  readonly onRefusal?: (r: PolicyRefusal) => void;
}

export interface VersionPolicyService {
  readonly mode: PolicyMode;
  /** The decision for path@version (remembered). */
  decide(path: string, version: string): Promise<Decision>;
  /** Throws VERSION_REFUSED when the policy refuses the version and is enforced; reports nothing. */
  admit(path: string, version: string): Promise<void>;
  /** The cache as clients see it, with the policy applied. */
  wrap(cache: ModuleCache): ModuleCache;
  /** Puts another policy in force (a reloaded file); remembered decisions are dropped. */
  replace(policy: VersionPolicy): void;
}

interface Derived {
  readonly gen: number;
  readonly until: number;
  readonly obj: CachedObject;
}

const REPORT_EVERY_MS = 10 * 60_000;

/** The canonical tagged versions of a list body. */
function listedVersions(body: Buffer): string[] {
  return body.toString('utf8').split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((v) => isCanonical(v) && !isPseudoVersion(v));
}

function versionOfInfo(body: Buffer | undefined): string | undefined {
  try {
    const v = (JSON.parse(body?.toString('utf8') ?? '') as { Version?: unknown }).Version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function refusalError(path: string, version: string, d: Extract<Decision, { admitted: false }>, extra = ''): ModgateError {
  return new ModgateError('VERSION_REFUSED', `${path}@${version}: refused by the version policy (${d.rule}): ${d.reason}${extra}`, { details: { rule: d.rule } });
}

export function createVersionPolicy(opts: VersionPolicyOptions): VersionPolicyService {
  const now = opts.now ?? Date.now;
  const rememberMs = Math.max(opts.rememberMs, 1);
  let policy = opts.policy;
  let gen = 0;
  const mode = (): PolicyMode => (opts.dryRun === true || policy.mode === 'dry-run' ? 'dry-run' : 'enforce');
  const decisions = new LRUCache<string, Decision>({ ...entryBound(50_000), ttl: rememberMs, ttlResolution: 0, perf: { now } });
  const pending = new Map<string, Promise<Decision>>();
  const reported = new LRUCache<string, true>({ ...entryBound(10_000), ttl: REPORT_EVERY_MS, ttlResolution: 0, perf: { now } });
  const retractionsByList = new WeakMap<CachedObject, Promise<Retractions | undefined>>();

  /** The retractions of the newest listed version's go.mod; none when they cannot be read (as the go command does). */
  async function retractionsOf(path: string): Promise<Retractions | undefined> {
    let list: CachedObject;
    try {
      list = await opts.source().list(path);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    let p = retractionsByList.get(list);
    if (p === undefined) {
      p = (async () => {
        const newest = newestVersion(listedVersions(list.body ?? Buffer.alloc(0)));
        if (newest === undefined) return undefined;
        try {
          const mod = await opts.source().mod(path, newest);
          return { newest, intervals: parseGoMod(mod.body?.toString('utf8') ?? '').retract };
        } catch {
          retractionsByList.delete(list); // read again next time
          return undefined;
        }
      })();
      retractionsByList.set(list, p);
    }
    return p;
  }

  async function published(path: string, version: string): Promise<string | undefined> {
    const info = await opts.source().info(path, version, true);
    const t = (JSON.parse(info.body?.toString('utf8') ?? '{}') as { Time?: unknown }).Time;
    return typeof t === 'string' ? t : undefined;
  }

  async function compute(path: string, version: string): Promise<Decision> {
    const rules = rulesFor(policy, path);
    const retractions = rules.refuseRetracted ? await retractionsOf(path) : undefined;
    const refused = staticRefusal(rules, version, retractions);
    if (refused) return refused;
    const time = needsPublished(rules) ? await published(path, version) : undefined;
    return decideVersion(rules, { version, retractions, published: time, now: now() });
  }

  function decide(path: string, version: string): Promise<Decision> {
    const key = `${path}@${version}`;
    const known = decisions.get(key);
    if (known) return Promise.resolve(known);
    let p = pending.get(key);
    if (p === undefined) {
      const g = gen;
      p = compute(path, version)
        .then((d) => {
          const ttl = !d.admitted && d.until !== undefined ? Math.min(rememberMs, Math.max(d.until - now(), 1)) : rememberMs;
          if (g === gen) decisions.set(key, d, { ttl });
          return d;
        })
        .finally(() => pending.delete(key));
      pending.set(key, p);
    }
    return p;
  }

  function report(path: string, version: string, d: Extract<Decision, { admitted: false }>): void {
    const m = mode();
    const key = `${m}\0${path}@${version}\0${d.rule}`;
    const first = !reported.has(key);
    if (first) reported.set(key, true);
    opts.onRefusal?.({ path, version, rule: d.rule, reason: d.reason, mode: m, first });
  }

  /** A client asked for path@version: reported when refused; throws when refused and enforced. */
  async function check(path: string, version: string): Promise<void> {
    const d = await decide(path, version);
    if (d.admitted) return;
    report(path, version, d);
    if (mode() === 'enforce') throw refusalError(path, version, d);
  }

  /** May the memory step serve path@version? Only with a decision already made. */
  function servable(path: string, version: string): boolean {
    const d = decisions.get(`${path}@${version}`);
    if (d === undefined) return false;
    if (d.admitted) return true;
    if (mode() === 'enforce') return false; // the general path answers the 403 (and reports it)
    report(path, version, d);
    return true;
  }

  /** What was derived from `o` (a filtered list, a substituted @latest), while still valid. */
  const derivedFrom = (memo: WeakMap<CachedObject, Derived>, o: CachedObject): CachedObject | undefined => {
    const d = memo.get(o);
    return d && d.gen === gen && now() < d.until ? d.obj : undefined;
  };
  const derived = (o: CachedObject, body: Buffer): CachedObject => {
    const obj = objectFromBytes(body, { cache: o.cache, source: o.source }, false, o.modified);
    return o.staleReason === undefined ? obj : { ...obj, staleReason: o.staleReason };
  };
  const lists = new WeakMap<CachedObject, Derived>();
  const latests = new WeakMap<CachedObject, Derived>();

  /** The list without refused versions (versions an upstream lists but cannot serve are dropped too). */
  async function filterList(path: string, o: CachedObject): Promise<CachedObject> {
    if (mode() === 'dry-run' || o.body === undefined) return o;
    const memo = derivedFrom(lists, o);
    if (memo) return memo;
    const g = gen;
    let until = now() + rememberMs;
    const limit = pLimit(8);
    const lines = o.body.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    const keep = await Promise.all(
      lines.map((line) =>
        limit(async () => {
          const v = line.trim().split(/\s+/)[0] ?? '';
          if (!isCanonical(v)) return true;
          const d = await decide(path, v).catch((err: unknown) => {
            if (isNotFound(err)) return undefined;
            throw err;
          });
          if (d && !d.admitted && d.until !== undefined) until = Math.min(until, d.until);
          return d?.admitted === true;
        }),
      ),
    );
    const obj = derived(o, Buffer.from(lines.filter((_, i) => keep[i]).map((l) => `${l}\n`).join('')));
    if (g === gen) lists.set(o, { gen: g, until, obj });
    return obj;
  }

  return {
    get mode() {
      return mode();
    },
    decide,
    async admit(path, version) {
      const d = await decide(path, version);
      if (!d.admitted && mode() === 'enforce') throw refusalError(path, version, d);
    },
    replace(p) {
      policy = p;
      gen++;
      decisions.clear();
    },
    wrap(cache) {
      const list = async (path: string) => filterList(path, await cache.list(path));
      /** @latest: the upstream's answer when admitted, else the .info of the newest admitted listed version. */
      const latest = async (path: string): Promise<CachedObject> => {
        const o = await cache.latest(path);
        const v = versionOfInfo(o.body);
        if (mode() === 'dry-run' || v === undefined) return o;
        const memo = derivedFrom(latests, o);
        if (memo) return memo;
        const g = gen;
        const d = await decide(path, v);
        let obj = o;
        let until = now() + rememberMs;
        if (!d.admitted) {
          if (d.until !== undefined) until = Math.min(until, d.until);
          const pick = newestVersion(listedVersions((await list(path)).body ?? Buffer.alloc(0)));
          if (pick === undefined) throw refusalError(path, v, d, '; no other listed version is admitted');
          obj = derived(o, (await cache.info(path, pick, true)).body ?? Buffer.alloc(0));
        }
        if (g === gen) latests.set(o, { gen: g, until, obj });
        return obj;
      };
      const inMemoryDerived = (memo: WeakMap<CachedObject, Derived>, o: CachedObject | undefined): CachedObject | undefined =>
        o === undefined || mode() === 'dry-run' ? o : derivedFrom(memo, o);
      return {
        list,
        latest,
        async info(path, version, canonical) {
          if (canonical) {
            await check(path, version);
            return cache.info(path, version, true);
          }
          // A query (branch, commit): the version it resolves to is checked.
          const o = await cache.info(path, version, false);
          const v = versionOfInfo(o.body);
          if (v !== undefined) await check(path, v);
          return o;
        },
        async mod(path, version) {
          await check(path, version);
          return cache.mod(path, version);
        },
        async zip(path, version) {
          await check(path, version);
          return cache.zip(path, version);
        },
        inMemory(q) {
          switch (q.kind) {
            case 'list':
              return inMemoryDerived(lists, cache.inMemory(q));
            case 'latest':
              return inMemoryDerived(latests, cache.inMemory(q));
            case 'info':
              // A query's answer goes through the general path, which checks the version it names.
              return q.canonical && servable(q.path, q.version) ? cache.inMemory(q) : undefined;
            case 'mod':
            case 'zip':
              return servable(q.path, q.version) ? cache.inMemory(q) : undefined;
          }
        },
        revalidate: (path) => cache.revalidate(path),
        async forget(path) {
          for (const k of [...decisions.keys()]) if (path === '' || k.startsWith(`${path}@`)) decisions.delete(k);
          await cache.forget(path);
        },
        get prefetchPending() {
          return cache.prefetchPending;
        },
        abort: (reason) => cache.abort(reason),
      };
    },
  };
}
