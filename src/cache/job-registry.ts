// Background jobs (admin prewarm): each runs once, reports progress, and is kept for inspection
// for a while after it ends.
import { randomBytes } from 'node:crypto';

export interface JobState {
  readonly id: string;
  readonly kind: string;
  state: 'running' | 'done' | 'failed';
  total: number;
  done: number;
  failed: number;
  errors: string[];
  readonly startedAt: string;
  endedAt?: string;
  result?: unknown;
}

export interface JobProgress {
  set(p: { total?: number; done?: number; failed?: number }): void;
  error(message: string): void;
}

export interface JobRegistry {
  start(kind: string, run: (progress: JobProgress) => Promise<unknown>): JobState;
  get(id: string): JobState | undefined;
  list(): JobState[];
}

export function createJobRegistry(keep = 100): JobRegistry {
  const jobs = new Map<string, JobState>();
  return {
    start(kind, run) {
      const job: JobState = { id: randomBytes(8).toString('hex'), kind, state: 'running', total: 0, done: 0, failed: 0, errors: [], startedAt: new Date().toISOString() };
      jobs.set(job.id, job);
      while (jobs.size > keep) jobs.delete(jobs.keys().next().value as string);
      const progress: JobProgress = {
        set(p) {
          if (p.total !== undefined) job.total = p.total;
          if (p.done !== undefined) job.done = p.done;
          if (p.failed !== undefined) job.failed = p.failed;
        },
        error(message) {
          if (job.errors.length < 100) job.errors.push(message);
        },
      };
      run(progress).then(
        (result) => {
          job.result = result;
          job.state = job.failed > 0 ? 'failed' : 'done';
          job.endedAt = new Date().toISOString();
        },
        (err: unknown) => {
          job.errors.push(err instanceof Error ? err.message : String(err));
          job.state = 'failed';
          job.endedAt = new Date().toISOString();
        },
      );
      return job;
    },
    get: (id) => jobs.get(id),
    list: () => [...jobs.values()],
  };
}
