// The event log: security and operations events (pollution, fork, purge, GC, auth failures) kept
// in storage under `.modgate/events/` so they survive restarts and are shared by replicas, with
// the most recent ones also held in memory.
import { randomBytes } from 'node:crypto';
import type { Storage } from '../storage/storage.js';
import { isStorageFailure } from '../storage/storage-errors.js';

export type EventType = 'pollution' | 'sumdb_fork' | 'pin_mismatch' | 'record_mismatch' | 'purge' | 'gc' | 'auth_failure' | 'sumdb_off' | 'storage_error' | 'import' | 'policy_refusal';

export interface ModgateEvent {
  readonly id: string;
  readonly time: string;
  readonly type: EventType;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface EventLog {
  record(type: EventType, message: string, details?: Readonly<Record<string, unknown>>): Promise<ModgateEvent>;
  /** Newest first. */
  recent(opts?: { limit?: number; type?: EventType }): Promise<ModgateEvent[]>;
}

const PREFIX = '.modgate/events/';

const MEMORY = 500;

export function createEventLog(storage: Storage, onEvent?: (e: ModgateEvent) => void): EventLog {
  // Events recorded by this process are visible at once, even while their write is in progress.
  const mine: ModgateEvent[] = [];
  return {
    async record(type, message, details = {}) {
      const now = new Date();
      const id = `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
      const event: ModgateEvent = { id, time: now.toISOString(), type, message, details };
      onEvent?.(event);
      mine.push(event);
      if (mine.length > MEMORY) mine.shift();
      try {
        await storage.put(`${PREFIX}${id}.json`, Buffer.from(JSON.stringify(event)));
      } catch (err) {
        // A store that cannot take it (full, read-only): the event stays visible in this process.
        if (!isStorageFailure(err)) throw err;
      }
      return event;
    },
    async recent(opts = {}) {
      const keys: string[] = [];
      for await (const k of storage.list(PREFIX)) if (k.endsWith('.json')) keys.push(k);
      for (const e of mine) keys.push(`${PREFIX}${e.id}.json`);
      const unique = [...new Set(keys)].sort().reverse();
      const limit = opts.limit ?? 100;
      const out: ModgateEvent[] = [];
      for (const k of unique) {
        if (out.length >= limit) break;
        const id = k.slice(PREFIX.length, -'.json'.length);
        let e = mine.find((m) => m.id === id);
        if (!e) {
          const b = await storage.get(k);
          if (!b) continue;
          e = JSON.parse(b.toString('utf8')) as ModgateEvent;
        }
        if (!opts.type || e.type === opts.type) out.push(e);
      }
      return out;
    },
  };
}
