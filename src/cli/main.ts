// The modgate CLI entry point: parses arguments, runs a command, prints its result or error.
// Only the module of the command being run is loaded (`serve` does not load the bundle, admin or
// progress-bar code); help and unknown commands load them all.
import { Command } from 'commander';
import { ModgateError } from '../errors/modgate-error.js';
import { APP_VERSION } from '../service/app-version.js';

type Register = (program: Command) => void;

/** Each command module, with the top-level command names it registers. */
export const COMMAND_MODULES: ReadonlyArray<{ readonly names: readonly string[]; readonly load: () => Promise<Register> }> = [
  { names: ['serve'], load: async () => (await import('./serve-command.js')).registerServe },
  { names: ['prewarm'], load: async () => (await import('./prewarm-command.js')).registerPrewarm },
  { names: ['doctor'], load: async () => (await import('./doctor-command.js')).registerDoctor },
  { names: ['verify-cache', 'verify-gosum'], load: async () => (await import('./verify-commands.js')).registerVerify },
  { names: ['stats', 'purge', 'gc', 'audit'], load: async () => (await import('./admin-commands.js')).registerAdminCommands },
  { names: ['sumdb'], load: async () => (await import('./sumdb-commands.js')).registerSumdbCommands },
  { names: ['export', 'import'], load: async () => (await import('./bundle-commands.js')).registerBundleCommands },
  { names: ['token'], load: async () => (await import('./token-commands.js')).registerTokenCommands },
];

/** The program with the command `argv` names registered (every command when it names none it knows). */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command();
  program.name('modgate').description('A verifying, caching Go module proxy').version(APP_VERSION);
  program.showHelpAfterError();
  // Options after a subcommand belong to it (so `purge --version v1.2.3` is not the program's --version).
  program.enablePositionalOptions();
  const name = argv.slice(2).find((a) => !a.startsWith('-'));
  const one = COMMAND_MODULES.find((m) => name !== undefined && m.names.includes(name));
  for (const m of one ? [one] : COMMAND_MODULES) (await m.load())(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
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
