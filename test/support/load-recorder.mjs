// Test support: records every file the process loads, one URL or path a line, appended to the file
// named by MODGATE_LOAD_LOG: ES modules through a loader hook (load-recorder-hooks.mjs), CommonJS
// files through Module.prototype._compile; a line `LISTENING` marks where the process wrote its
// "listening on" line to stdout. Used as NODE_OPTIONS=--import <this file's URL>.
import { register, Module } from 'node:module';
import { appendFileSync } from 'node:fs';

const log = process.env.MODGATE_LOAD_LOG;
if (log) {
  register(new URL('./load-recorder-hooks.mjs', import.meta.url), { data: { log } });
  const compile = Module.prototype._compile;
  Module.prototype._compile = function recorded(content, filename) {
    appendFileSync(log, `${filename}\n`);
    return compile.call(this, content, filename);
  };
  const write = process.stdout.write;
  process.stdout.write = function marked(chunk, ...rest) {
    if (String(chunk).includes('listening on')) appendFileSync(log, 'LISTENING\n');
    return write.call(this, chunk, ...rest);
  };
}
