// The audit log: who fetched which module@version when. Each proxy request's identity (a name or
// JWT subject, never a secret), address, module, version and status is buffered and written in
// batches (JSON lines) under `.modgate/audit/<hour>/` in storage, so it survives restarts and is
// shared by replicas and workers; batches older than the retention are removed. Queries read the
// stored batches from the asked-for hour on, plus what this process has not written yet. Records
// wait for their batch as their JSON lines (one string each, no object kept per request).
import { randomBytes } from 'node:crypto';
import type { Storage } from '../storage/storage.js';

export interface AuditRecord {
  readonly time: string;
  /** Identity name, `jwt:<subject>`, or `anonymous`. */
  readonly identity: string;
  readonly ip: string;
  readonly method: string;
  readonly module: string;
  readonly version?: string;
  readonly kind: string;
  readonly status: number;
}

export interface AuditQuery {
  readonly module?: string;
  readonly version?: string;
  readonly identity?: string;
  /** Only records at or after this time. */
  readonly since?: Date;
  /** Most records returned (newest first); default 1000. */
  readonly limit?: number;
}

export interface AuditLog {
  record(r: AuditRecord): void;
  /** Records `json`, exactly JSON.stringify of a record made at `time` (the request path builds it from templates). */
  recordJson(json: string, time: string): void;
  /** Matching records, newest first. */
  query(q: AuditQuery): Promise<AuditRecord[]>;
  /** Writes what is buffered (also done every flushMs and on close). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface AuditLogOptions {
  readonly storage: Storage;
  readonly retentionDays: number;
  readonly flushMs?: number;
  /** Buffered records above which a batch is written at once (default 20 000: a busy server writes a batch every few seconds, not several a second). */
  readonly batchSize?: number;
  readonly onError?: (err: Error) => void;
  readonly now?: () => Date;
}

const PREFIX = '.modgate/audit/';
/** Records kept in memory when storage refuses batches (oldest dropped first). */
const MAX_BUFFER = 50_000;
const hourOf = (iso: string): string => iso.slice(0, 13);

function matches(r: AuditRecord, q: AuditQuery, since: string | undefined): boolean {
  return (q.module === undefined || r.module === q.module)
    && (q.version === undefined || r.version === q.version)
    && (q.identity === undefined || r.identity === q.identity)
    && (since === undefined || r.time >= since);
}

export function createAuditLog(opts: AuditLogOptions): AuditLog {
  const now = opts.now ?? (() => new Date());
  /** The JSON lines of the records not written yet, oldest first, and the time of the first. */
  let buffer: string[] = [];
  let firstTime = '';
  let writing: Promise<void> = Promise.resolve();
  let lastPrune = 0;
  const batchSize = opts.batchSize ?? 20_000;
  /** A batch write was asked for by size (one at a time). */
  let batchQueued = false;

  const prune = async (): Promise<void> => {
    const t = now().getTime();
    if (t - lastPrune < 3_600_000) return;
    lastPrune = t;
    const oldest = hourOf(new Date(t - opts.retentionDays * 86_400_000).toISOString());
    for await (const k of opts.storage.list(PREFIX)) if (k.slice(PREFIX.length, PREFIX.length + 13) < oldest) await opts.storage.delete(k);
  };

  const writeBatch = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const batch = buffer;
    const first = firstTime;
    buffer = [];
    const key = `${PREFIX}${hourOf(first)}/${first.replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}.jsonl`;
    try {
      await opts.storage.put(key, Buffer.from(batch.join('\n') + '\n'));
      await prune();
    } catch (err) {
      // Kept for the next attempt (a full or read-only store may recover); queries still see them.
      opts.onError?.(err as Error);
      buffer = [...batch, ...buffer].slice(-MAX_BUFFER);
      if (buffer.length > 0) firstTime = (JSON.parse(buffer[0]!) as AuditRecord).time;
    }
  };
  const flush = (): Promise<void> => (writing = writing.then(writeBatch));
  const timer = setInterval(() => void flush(), opts.flushMs ?? 5000);
  timer.unref();

  const recordJson = (json: string, time: string): void => {
    if (buffer.length === 0) firstTime = time;
    buffer.push(json);
    if (buffer.length >= batchSize && !batchQueued) {
      batchQueued = true;
      void flush().finally(() => (batchQueued = false));
    }
  };

  return {
    record: (r) => recordJson(JSON.stringify(r), r.time),
    recordJson,
    async query(q) {
      await writing;
      const since = q.since?.toISOString();
      const fromHour = since === undefined ? '' : hourOf(since);
      const keys: string[] = [];
      for await (const k of opts.storage.list(PREFIX)) if (k.endsWith('.jsonl') && k.slice(PREFIX.length, PREFIX.length + 13) >= fromHour) keys.push(k);
      const out = buffer.map((line) => JSON.parse(line) as AuditRecord).filter((r) => matches(r, q, since));
      for (const k of keys) {
        const b = await opts.storage.get(k);
        if (!b) continue;
        for (const line of b.toString('utf8').split('\n')) {
          if (line === '') continue;
          const r = JSON.parse(line) as AuditRecord;
          if (matches(r, q, since)) out.push(r);
        }
      }
      return out.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0)).slice(0, q.limit ?? 1000);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
