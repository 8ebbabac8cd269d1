// Summarizes a V8 .cpuprofile (node --cpu-prof): self time by function and by package/file group,
// so a benchmark miss can be attributed with numbers. Usage:
//   node --import tsx bench/cpuprofile-summary.ts FILE.cpuprofile [--top 25]
import { readFile } from 'node:fs/promises';
import { flag } from './support/bench-stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (file === undefined || file.startsWith('--')) throw new Error('usage: cpuprofile-summary.ts FILE.cpuprofile [--top N]');
const top = flag('top', 25);
const p = JSON.parse(await readFile(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

/** Coarse owner of a frame: node internals, a node_modules package, modgate's dist file, or a VM state. */
function group(n: ProfileNode): string {
  const u = n.callFrame.url;
  if (u === '') return `(${n.callFrame.functionName || 'native'})`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return `pkg:${nm[1]}`;
  if (u.startsWith('node:')) return `node:${u.slice(5).split('/')[0]}`;
  const d = /\/dist\/(.*)$/.exec(u);
  return d ? `modgate:${d[1]}` : u;
}

const fn = new Map<string, number>();
const grp = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const key = `${n.callFrame.functionName || '(anonymous)'} ${group(n)}:${n.callFrame.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  grp.set(group(n), (grp.get(group(n)) ?? 0) + us);
}
const show = (m: Map<string, number>, title: string): void => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [k, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
};
show(grp, 'self time by group');
show(fn, 'self time by function');
