import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EVENT_SOURCES, MAX_EVENT_BYTES } from '../../shared/events/event.js';
import { isEventSource, parseEvent } from '../../shared/events/parse.js';
import { EXIT, UsageError } from './common.js';
import type { Io } from './scan.js';

/**
 * `costwatch event parse <file> [--source S]`: prints the normalized event as JSON (exit 0), or
 * the reason it is refused (exit 2). `-` reads standard input. The source is detected when not given.
 */
export async function eventCommand(argv: readonly string[], io: Io & { readonly stdin?: NodeJS.ReadableStream }): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'parse') throw new UsageError(sub === undefined ? 'event needs a subcommand: event parse <file> [--source S]' : `unknown event subcommand ${sub}`);
  const { values, positionals } = parseArgs({ args: [...rest], options: { source: { type: 'string', short: 's' } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError('event parse takes one file (or - for standard input)');
  const source = values.source;
  if (source !== undefined && !isEventSource(source)) throw new UsageError(`--source must be one of ${EVENT_SOURCES.join(', ')}`);

  const file = positionals[0]!;
  let text: string;
  if (file === '-') {
    const read = await readStream(io.stdin ?? process.stdin);
    if (read === undefined) return tooLarge('standard input', `more than ${MAX_EVENT_BYTES} bytes`, io);
    text = read;
  } else {
    const path = resolve(io.cwd, file);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    // Refused before reading: the parsers never look at more than this.
    if (size > MAX_EVENT_BYTES) return tooLarge(file, `${size} bytes`, io);
    text = await readFile(path, 'utf8');
  }
  const result = parseEvent(text, source ? { source } : {});
  if (!result.ok) {
    const from = result.refusal.source ?? source;
    io.stderr.write(`costwatch: refused${from ? ` as ${from}` : ''}: ${result.refusal.reason}\n`);
    return EXIT.usage;
  }
  io.stdout.write(`${JSON.stringify(result.event, null, 2)}\n`);
  return EXIT.ok;
}

function tooLarge(what: string, size: string, io: Io): number {
  io.stderr.write(`costwatch: refused: ${what} is ${size}, over the ${MAX_EVENT_BYTES}-byte limit\n`);
  return EXIT.usage;
}

/** Reads a stream to text; undefined as soon as it grows over the limit. */
async function readStream(stream: NodeJS.ReadableStream): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_EVENT_BYTES) return undefined;
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
