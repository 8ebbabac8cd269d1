// Rewrites the generated configuration table in docs/configuration.md from the schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigTable } from '../src/config/config-doc.js';

const file = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(file, withConfigTable(readFileSync(file, 'utf8')));
