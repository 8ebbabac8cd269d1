// A zod field for GOPRIVATE-style module patterns written as an array or one comma-separated
// string (identity and policy files): trimmed, empties dropped, joined with commas.
import * as z from 'zod';

export const patternList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((p) => p.trim()).filter((p) => p !== '').join(','));
