// Storage keys of cached files. Module files use the go command's `cache/download` layout so an fs
// cache directory works as GOPROXY=file://DIR; modgate's own state lives under `.modgate/`, which can
// never collide with a module path (module paths cannot start with a dot).
import { escapePath as escapePathChecked, escapeVersion } from '../module/escape.js';

// Escaping re-validates the path; keys are computed on every hit, so remember recent results.
const escaped = new Map<string, string>();
function escapePath(path: string): string {
  let e = escaped.get(path);
  if (e === undefined) {
    e = escapePathChecked(path);
    if (escaped.size >= 50_000) escaped.clear();
    escaped.set(path, e);
  }
  return e;
}

export type VersionFile = 'info' | 'mod' | 'zip' | 'ziphash';

export function versionKey(path: string, version: string, file: VersionFile): string {
  return `${escapePath(path)}/@v/${escapeVersion(version)}.${file}`;
}

export function listKey(path: string): string {
  return `${escapePath(path)}/@v/list`;
}

export function latestKey(path: string): string {
  return `${escapePath(path)}/@latest`;
}

/** Where modgate keeps state that is not a module file. */
export const STATE_PREFIX = '.modgate/';
