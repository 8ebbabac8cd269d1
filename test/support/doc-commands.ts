// The `modgate …` commands shown in markdown: shell code blocks (sh, bash, shell, console), with a
// block's `$ ` lines when it has them (the rest is output), and the `$ ` lines of blocks without a
// language (blocks without either are synopses); backslash continuations joined, and
// `for VAR in A B C; do … done` loops expanded once per value. Used by the docs-examples check.

export interface DocCommand {
  /** file the command is shown in, as given */
  readonly file: string;
  /** 1-based line of its first line */
  readonly line: number;
  /** the command as shown (continuations joined; loop variable replaced; a trailing `&` dropped) */
  readonly text: string;
}

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);
const MODGATE_WORD = /^(?:\.\/)?(?:bin\/)?modgate$/;

interface Line {
  readonly n: number;
  readonly text: string;
}

interface Block {
  /** a shell block (else a block without a language) */
  readonly shell: boolean;
  readonly lines: Line[];
}

/** The shell blocks and the blocks without a language of a markdown text, with line numbers. */
function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  let inFence = false;
  markdown.split('\n').forEach((text, i) => {
    const fence = /^\s*```\s*([\w-]*)/.exec(text);
    if (fence) {
      if (inFence) {
        if (current) blocks.push(current);
        current = undefined;
      } else {
        const lang = fence[1]!.toLowerCase();
        if (lang === '' || SHELL_LANGS.has(lang)) current = { shell: lang !== '', lines: [] };
      }
      inFence = !inFence;
      return;
    }
    current?.lines.push({ n: i + 1, text });
  });
  return blocks;
}

/** Joins backslash continuations: one entry per logical line. */
function joinContinuations(lines: readonly Line[]): Line[] {
  const out: Line[] = [];
  let pending: Line | undefined;
  for (const l of lines) {
    const text = pending ? `${pending.text} ${l.text.trim()}` : l.text;
    const start = pending?.n ?? l.n;
    if (/\\\s*$/.test(text)) pending = { n: start, text: text.replace(/\\\s*$/, '').trimEnd() };
    else {
      out.push({ n: start, text });
      pending = undefined;
    }
  }
  if (pending) out.push(pending);
  return out;
}

/** Expands `for VAR in A B; do` … `done` into the body once per value, `$VAR`/`${VAR}` replaced. */
function expandLoops(lines: readonly Line[]): Line[] {
  const out: Line[] = [];
  for (let i = 0; i < lines.length; i++) {
    const loop = /^\s*for\s+(\w+)\s+in\s+(.+?);\s*do\s*$/.exec(lines[i]!.text);
    if (!loop) {
      out.push(lines[i]!);
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && /^\s*done\s*$/.test(l.text));
    const body = lines.slice(i + 1, end < 0 ? lines.length : end);
    const variable = new RegExp(`\\$\\{?${loop[1]!}\\}?\\b`, 'g');
    for (const value of loop[2]!.trim().split(/\s+/)) {
      for (const b of body) out.push({ n: b.n, text: b.text.replace(variable, value) });
    }
    i = end < 0 ? lines.length : end;
  }
  return out;
}

/** Every modgate command in the shell blocks of `markdown`, in order. */
export function extractModgateCommands(file: string, markdown: string): DocCommand[] {
  const commands: DocCommand[] = [];
  for (const block of codeBlocks(markdown)) {
    const prompted = block.lines.filter((l) => /^\s*\$ /.test(l.text));
    const lines = prompted.length > 0 || !block.shell ? prompted.map((l) => ({ n: l.n, text: l.text.replace(/^\s*\$ /, '') })) : block.lines;
    for (const l of expandLoops(joinContinuations(lines))) {
      const text = l.text.trim().replace(/\s*&\s*$/, '');
      if (MODGATE_WORD.test(text.split(/\s+/)[0] ?? '')) commands.push({ file, line: l.n, text });
    }
  }
  return commands;
}
