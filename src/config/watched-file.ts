// Calls back when a file's contents may have changed (modification time, size or inode), polling
// its metadata: robust against editors and tools that replace the file by rename, and against the
// file being briefly absent. The watcher never keeps the process alive.
import { unwatchFile, watchFile, type Stats } from 'node:fs';

export interface FileWatch {
  close(): void;
}

export function watchForChanges(files: readonly string[], onChange: () => void, intervalMs = 1000): FileWatch {
  const listener = (cur: Stats, prev: Stats): void => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) onChange();
  };
  for (const f of files) watchFile(f, { interval: intervalMs, persistent: false }, listener);
  return {
    close() {
      for (const f of files) unwatchFile(f, listener);
    },
  };
}
