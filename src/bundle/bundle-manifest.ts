// The air-gap bundle's manifest and tar layout: every file of a bundle is listed with its size and
// sha256 (and h1 for .mod/.zip); module files and checksum-database proofs sit under
// `cache/download/` exactly as in the go command's module cache, so a storage key is the tar name
// without that prefix.
import * as z from 'zod';
import { ModgateError } from '../errors/modgate-error.js';

export const BUNDLE_FORMAT = 'modgate-bundle/1';
export const MANIFEST_NAME = 'manifest.json';
export const CACHE_PREFIX = 'cache/download/';
/** Largest manifest an importer reads (it is kept in memory). */
export const MAX_MANIFEST_BYTES = 64 << 20;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

const fileSchema = z.object({
  /** Tar entry name, `cache/download/<storage key>`. */
  name: z.string().min(1),
  size: z.number().int().min(0),
  sha256: hex64,
  /** go.sum hash of a .mod or .zip. */
  h1: z.string().startsWith('h1:').optional(),
}).strict();

const treeSchema = z.object({
  /** Checksum database name (the verifier key's name). */
  name: z.string().min(1),
  /** The ONE signed tree head every record of this database in the bundle is proven against. */
  note: z.string().min(1),
  size: z.number().int().min(0),
  /** Incremental bundles: the older tree this one is proven consistent with, and the RFC 6962 proof. */
  consistency: z.object({ size: z.number().int().min(1), hash: z.string().min(1), proof: z.array(z.string()) }).strict().optional(),
}).strict();

const moduleSchema = z.object({
  path: z.string().min(1),
  version: z.string().min(1),
  files: z.array(z.enum(['info', 'mod', 'zip'])),
}).strict();

export const manifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  createdAt: z.string(),
  /** One entry per checksum database the bundle carries proofs for (public DB, modgate's own DB, ...). */
  sumdb: z.array(treeSchema),
  modules: z.array(moduleSchema),
  files: z.array(fileSchema),
}).strict();

export type BundleManifest = z.infer<typeof manifestSchema>;
export type BundleFile = z.infer<typeof fileSchema>;
export type BundleTree = z.infer<typeof treeSchema>;
export type BundleModule = z.infer<typeof moduleSchema>;

/** Parses manifest JSON; throws INVALID_REQUEST naming what is wrong. */
export function parseManifest(text: string, where: string): BundleManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ModgateError('INVALID_REQUEST', `${where}: manifest is not JSON: ${(err as Error).message}`);
  }
  const r = manifestSchema.safeParse(data);
  if (!r.success) {
    throw new ModgateError('INVALID_REQUEST', `${where}: not a ${BUNDLE_FORMAT} manifest: ${r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'manifest'}: ${i.message}`).join('; ')}`);
  }
  return r.data;
}

/** The tar name of a storage key. */
export const entryName = (key: string): string => `${CACHE_PREFIX}${key}`;

/** The storage key of a tar name, or undefined when the name is not under `cache/download/`. */
export function keyOfEntry(name: string): string | undefined {
  return name.startsWith(CACHE_PREFIX) ? name.slice(CACHE_PREFIX.length) : undefined;
}

/** Storage key prefix of a checksum database's proofs (the go command's cache layout). */
export const sumdbKeyPrefix = (db: string): string => `sumdb/${db}/`;
