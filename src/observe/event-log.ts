// The event log: security and operations events (pollution, fork, purge, GC, auth failures) kept
// in storage under `.modgate/events/` so they survive restarts and are shared by replicas, with
// the most recent ones also held in memory.
import { randomBytes } from 'node:crypto';
import type { Storage } from '../storage/storage.js';

export type EventType = 'pollution' | 'sumdb_fork' | 'pin_mismatch' | 'purge' | 'gc' | 'auth_failure' | 'sumdb_off';

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

export function createEventLog(storage: Storage, onEvent?: (e: ModgateEvent) => void): EventLog {
  return {
    async record(type, message, details = {}) {
      const now = new Date();
      const id = `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
      const event: ModgateEvent = { id, time: now.toISOString(), type, message, details };
      onEvent?.(event);
      await storage.put(`${PREFIX}${id}.json`, Buffer.from(JSON.stringify(event)));
      return event;
    },
    async recent(opts = {}) {
      const keys: string[] = [];
      for await (const k of storage.list(PREFIX)) if (k.endsWith('.json')) keys.push(k);
      keys.sort().reverse();
      const out: ModgateEvent[] = [];
      for (const k of keys) {
        if (out.length >= (opts.limit ?? 100)) break;
        const b = await storage.get(k);
        if (!b) continue;
        const e = JSON.parse(b.toString('utf8')) as ModgateEvent;
        if (!opts.type || e.type === opts.type) out.push(e);
      }
      return out;
    },
  };
}
