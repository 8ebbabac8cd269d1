// The effective pattern settings, as the go command derives GONOPROXY and GONOSUMDB from GOPRIVATE.
import type { Config } from './config-schema.js';

/** Effective GONOPROXY: noproxy, else private. */
export function noproxyPatterns(config: Pick<Config, 'noproxy' | 'private'>): string {
  return config.noproxy || config.private;
}

/** Effective GONOSUMDB: nosumdb, else private. */
export function nosumdbPatterns(config: Pick<Config, 'nosumdb' | 'private'>): string {
  return config.nosumdb || config.private;
}
