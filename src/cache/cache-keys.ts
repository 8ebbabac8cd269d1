// Storage keys of cached files. Module files use the go command's `cache/download` layout so an fs
// cache directory works as GOPROXY=file://DIR; modgate's own state lives under `.modgate/`, which can
// never collide with a module path (module paths cannot start with a dot).
import { escapePath, escapeVersion } from '../module/escape.js';

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
