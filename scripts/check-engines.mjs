// Fails when package.json's `engines.node` promises a Node version some locked dependency refuses
// (what `npm ci` reports as EBADENGINE): every package's engines.node range in package-lock.json
// must contain every version the root range allows.
import { readFileSync } from 'node:fs';
import semver from 'semver';

const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const root = pkg.engines?.node;
if (!root) throw new Error('package.json has no engines.node');
if (lock.packages?.['']?.engines?.node !== root) {
  console.error(`package-lock.json's root engines.node (${lock.packages?.['']?.engines?.node}) differs from package.json's (${root}): run npm install`);
  process.exit(1);
}
const conflicts = [];
for (const [path, p] of Object.entries(lock.packages ?? {})) {
  const range = p.engines?.node;
  if (path === '' || typeof range !== 'string') continue;
  if (!semver.validRange(range) || !semver.subset(root, range)) conflicts.push(`${path.replace(/^.*node_modules\//, '')}@${p.version} needs node ${range}`);
}
if (conflicts.length > 0) {
  console.error(`engines conflict: package.json allows node ${root}, but:\n  ${conflicts.join('\n  ')}`);
  process.exit(1);
}
console.log(`engines ok: every locked package accepts node ${root}`);
