// Runs wrk (Debian package `wrk`) against a list of paths on one server and returns requests/s,
// bytes/s and errors, read from a Lua done() hook rather than parsed from the human summary.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runProcess } from '../../test/support/process-runner.js';

export interface WrkOptions {
  /** base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** request paths, cycled in order */
  paths: readonly string[];
  durationS: number;
  connections: number;
  threads: number;
  /** where the generated Lua script is written */
  dir: string;
  /** pin wrk to these CPUs (a taskset list, e.g. "1") */
  cpus?: string;
  /** one connection per request (`Connection: close`), as clients with a small idle pool do */
  close?: boolean;
  /** requests sent at once on each connection (HTTP/1.1 pipelining); default 1 */
  pipeline?: number;
}

export interface WrkResult {
  requests: number;
  bytes: number;
  reqPerSec: number;
  bytesPerSec: number;
  /** socket errors + non-2xx/3xx answers */
  errors: number;
}

export async function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const script = join(opts.dir, `wrk-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.lua`);
  await writeFile(
    script,
    `local paths = { ${opts.paths.map((p) => JSON.stringify(p)).join(', ')} }
local reqs = nil
local i = 0
-- Each request is formatted once (on the first call, when wrk's Host header is set): formatting per
-- request in Lua costs wrk CPU, which on 2 cores is taken from the server it measures.
request = function()
  if reqs == nil then
    reqs = {}
    for k, p in ipairs(paths) do reqs[k] = wrk.format("GET", p${opts.close === true ? ', { Connection = "close" }' : ''}) end
  end
  local out = {}
  for d = 1, ${Math.max(1, opts.pipeline ?? 1)} do
    i = i % #reqs + 1
    out[d] = reqs[i]
  end
  return table.concat(out)
end
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format('WRKJSON {"requests":%d,"bytes":%d,"duration_us":%d,"errors":%d}\\n',
    s.requests, s.bytes, s.duration, e.connect + e.read + e.write + e.status + e.timeout))
end
`,
  );
  const wrkArgs = ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${opts.durationS}s`, '--timeout', '10s', '-s', script, opts.url];
  const [file, args] = opts.cpus !== undefined ? ['taskset', ['-c', opts.cpus, 'wrk', ...wrkArgs]] : ['wrk', wrkArgs];
  const r = await runProcess(file, args, { timeoutMs: (opts.durationS + 30) * 1000 });
  const m = /WRKJSON (\{.*\})/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`wrk failed (exit ${r.code}): ${r.stderr}${r.stdout}`);
  const j = JSON.parse(m[1]!) as { requests: number; bytes: number; duration_us: number; errors: number };
  const s = j.duration_us / 1e6;
  return { requests: j.requests, bytes: j.bytes, reqPerSec: j.requests / s, bytesPerSec: j.bytes / s, errors: j.errors };
}
