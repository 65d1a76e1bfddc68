import { ConfigError, CostwatchError } from '../../shared/errors.js';

/** Exit codes of the costwatch CLI (documented in the README). */
export const EXIT = {
  ok: 0,
  /** The scan finished but a cloud, scope or region could not be read. */
  partial: 1,
  /** Bad arguments, policy file or world file. */
  usage: 2,
  /** Anything unexpected. */
  internal: 70,
} as const;

/** Thrown for a bad command line; printed with the usage hint. */
export class UsageError extends CostwatchError {}

/** Writes an error the way the CLI reports it and returns the exit code. */
export function reportError(err: unknown, stderr: NodeJS.WritableStream): number {
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
  stderr.write(`costwatch: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.internal;
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
