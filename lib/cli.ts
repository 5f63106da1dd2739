/**
 * The one argument convention every `npm run` entry point follows (ADR 0135): `--help`/`-h` prints the
 * usage on stdout and exits 0 before anything else happens (no database opened, no file written); an
 * unknown flag or a surplus argument exits 2 naming it, followed by the usage. Built on node:util
 * parseArgs so flags behave the same everywhere (`--flag value`, `--flag=value`, `--` ends the flags).
 */
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

export interface CommandSpec<T extends ParseArgsOptionsConfig> {
  /** Prefix of every error line, e.g. "migrate". */
  name: string;
  /** Printed for --help (stdout) and after an argument error (stderr). */
  usage: string;
  options?: T;
  /** How many positional arguments the command accepts (default 0). */
  maxPositionals?: number;
}

export type CommandLine<T extends ParseArgsOptionsConfig> =
  | { kind: "help"; text: string }
  | { kind: "error"; message: string }
  | {
      kind: "run";
      values: ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: true }>>["values"];
      positionals: string[];
    };

/** True when argv asks for help before any `--` terminator (what follows `--` belongs to someone else). */
export function helpRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/** The pure decision: what `argv` asks of the command described by `spec`. */
export function interpretCommandLine<T extends ParseArgsOptionsConfig>(
  spec: CommandSpec<T>,
  argv: readonly string[],
): CommandLine<T> {
  if (helpRequested(argv)) return { kind: "help", text: spec.usage };
  let parsed: ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: true }>>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: (spec.options ?? {}) as T,
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    const message = (error as Error).message;
    // Node's text for an unknown flag goes on about positionals; the flag's name is what helps.
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    return {
      kind: "error",
      message: unknown ? `unknown option '${unknown[1]}'` : message.replace(/\.$/, ""),
    };
  }
  const surplus = parsed.positionals.slice(spec.maxPositionals ?? 0);
  if (surplus.length > 0) return { kind: "error", message: `unexpected argument '${surplus[0]}'` };
  return { kind: "run", values: parsed.values, positionals: parsed.positionals };
}

/** Prints the usage and exits 0 when argv asks for help; for CLIs that keep their own parser. */
export function exitIfHelpRequested(usage: string, argv: readonly string[] = process.argv.slice(2)): void {
  if (!helpRequested(argv)) return;
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

/** The I/O shell: exits 0 after printing help, 2 after an argument error; otherwise returns the values. */
export function parseCommandLine<T extends ParseArgsOptionsConfig>(
  spec: CommandSpec<T>,
  argv: readonly string[] = process.argv.slice(2),
): Extract<CommandLine<T>, { kind: "run" }> {
  const line = interpretCommandLine(spec, argv);
  if (line.kind === "help") {
    process.stdout.write(`${line.text}\n`);
    process.exit(0);
  }
  if (line.kind === "error") {
    process.stderr.write(`${spec.name}: ${line.message}\n${spec.usage}\n`);
    process.exit(2);
  }
  return line;
}
