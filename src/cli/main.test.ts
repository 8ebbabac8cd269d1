// The CLI loads only the module of the command being run: the table of command modules must name
// every command each module registers, or that command would be unknown when run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram, COMMAND_MODULES } from './main.js';

test('every command is in the table under the module that registers it, and running it loads only that module', async () => {
  const all = await buildProgram(['node', 'modgate', '--help']);
  assert.deepEqual(all.commands.map((c) => c.name()).sort(), COMMAND_MODULES.flatMap((m) => m.names).sort());
  for (const m of COMMAND_MODULES) {
    for (const name of m.names) {
      const one = await buildProgram(['node', 'modgate', name, '--flag']);
      assert.deepEqual(one.commands.map((c) => c.name()).sort(), [...m.names].sort(), name);
    }
  }
});
