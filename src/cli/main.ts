// The modgate CLI entry point: parses arguments, runs a command, prints its result or error.
import { Command } from 'commander';
import { ModgateError } from '../errors/modgate-error.js';
import { APP_VERSION } from '../service/app-version.js';
import { registerServe } from './serve-command.js';
import { registerPrewarm } from './prewarm-command.js';
import { registerDoctor } from './doctor-command.js';
import { registerVerify } from './verify-commands.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerSumdbCommands } from './sumdb-commands.js';
import { registerBundleCommands } from './bundle-commands.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program.name('modgate').description('A verifying, caching Go module proxy').version(APP_VERSION);
  program.showHelpAfterError();
  // Options after a subcommand belong to it (so `purge --version v1.2.3` is not the program's --version).
  program.enablePositionalOptions();
  registerServe(program);
  registerPrewarm(program);
  registerDoctor(program);
  registerVerify(program);
  registerAdminCommands(program);
  registerSumdbCommands(program);
  registerBundleCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ModgateError) {
      process.stderr.write(`modgate: ${err.userMessage}\n`);
      process.exit(err.code === 'CONFIG_INVALID' ? 2 : 1);
    }
    throw err;
  }
}
