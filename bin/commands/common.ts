import { ConfigError, CostwatchError, StateFolderError } from '../../shared/errors.js';

/** Exit codes of the costwatch CLI (documented in the README). */
export const EXIT = {
  ok: 0,
  /** The scan finished but a cloud, scope or region could not be read. */
  partial: 1,
  /** Bad arguments, policy file or world file; the state folder in use, not a folder, or unreadable. */
  usage: 2,
  /** Anything unexpected. */
  internal: 70,
} as const;

/** Thrown for a bad command line; printed with the usage hint. */
export class UsageError extends CostwatchError {}

/**
 * Writes an error the way the CLI reports it and returns the exit code: one line saying what is
 * wrong and what to do; the stack trace only with `debug` (`--debug` or `COSTWATCH_DEBUG=1`).
 */
export function reportError(err: unknown, stderr: NodeJS.WritableStream, opts: { debug?: boolean } = {}): number {
  if (opts.debug && err instanceof Error && err.stack) stderr.write(`${traceOf(err)}\n`);
  if (err instanceof StateFolderError) {
    stderr.write(`costwatch: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof ConfigError) {
    stderr.write(`${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}:\n${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof UsageError) {
    stderr.write(`costwatch: ${err.message}\nRun 'costwatch help' for usage.\n`);
    return EXIT.usage;
  }
  if (err instanceof CostwatchError) {
    stderr.write(`costwatch: ${err.message}\n`);
    return EXIT.internal;
  }
  stderr.write(`costwatch: unexpected error: ${oneLine(err)}${opts.debug ? '' : ' (run again with --debug for the trace, and report it if it persists)'}\n`);
  return EXIT.internal;
}

/** An error as one line: its name and the first line of its message. */
export function oneLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err).split('\n')[0]!.slice(0, 300);
  const first = (err.message || '').split('\n')[0]!.slice(0, 300);
  return err.name && err.name !== 'Error' ? `${err.name}: ${first}` : first || err.name;
}

function traceOf(err: Error): string {
  let out = err.stack ?? String(err);
  let cause = err.cause;
  for (let depth = 0; cause instanceof Error && depth < 5; depth++, cause = cause.cause) out += `\ncaused by: ${cause.stack ?? String(cause)}`;
  return out;
}

/** Whether the trace of an error should be shown: `--debug` anywhere on the command line, or `COSTWATCH_DEBUG=1`. */
export function debugWanted(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--debug') || env['COSTWATCH_DEBUG'] === '1';
}

/** Splits `--sandbox [world]`, whose value is optional, from the rest of argv. */
export function takeOptionalValue(argv: readonly string[], flag: string): { present: boolean; value?: string; rest: string[] } {
  const rest: string[] = [];
  let present = false;
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === flag) {
      present = true;
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        value = next;
        i++;
      }
    } else if (a.startsWith(`${flag}=`)) {
      present = true;
      value = a.slice(flag.length + 1);
    } else rest.push(a);
  }
  return { present, ...(value !== undefined ? { value } : {}), rest };
}
