// An import uploaded to the admin API, run as a background job: the upload is read (staged) while
// the request is open, then verification and commit continue in the job, whose progress and final
// report (or refusal with every problem) are visible at /admin/jobs/<id>.
import type { Readable } from 'node:stream';
import type { JobRegistry } from '../cache/job-registry.js';
import { importBundle, type ImportDatabase, type ImportReport } from './bundle-import.js';
import type { Storage } from '../storage/storage.js';

export interface ImportJobOptions {
  readonly jobs: JobRegistry;
  readonly storage: Storage;
  readonly databases: readonly ImportDatabase[];
  readonly tempDir: string;
  readonly body: Readable;
  /** Called with the module paths whose files changed (forget cached answers). */
  readonly onImported?: (report: ImportReport) => Promise<void>;
}

/** Starts the job; resolves with its id once the upload has been read completely (or failed). */
export function startImportJob(opts: ImportJobOptions): Promise<{ id: string }> {
  let uploaded!: () => void;
  const read = new Promise<void>((resolve) => (uploaded = resolve));
  const job = opts.jobs.start('import', async (progress) => {
    try {
      const report = await importBundle({
        input: opts.body,
        storage: opts.storage,
        databases: opts.databases,
        tempDir: opts.tempDir,
        onStaged: uploaded,
        onProgress: (p) => {
          if (p.phase === 'read') progress.set({ done: p.files, total: p.files });
          else progress.set({ done: p.done, total: p.total });
        },
      });
      if (report.status === 'refused') {
        progress.set({ failed: report.problems.length });
        for (const p of report.problems) progress.error(`${p.file}: ${p.reason}${p.expected !== undefined ? ` (expected ${p.expected}` : ''}${p.actual !== undefined ? `, actual ${p.actual})` : p.expected !== undefined ? ')' : ''}`);
      }
      await opts.onImported?.(report);
      return report;
    } finally {
      uploaded();
    }
  });
  return read.then(() => ({ id: job.id }));
}
