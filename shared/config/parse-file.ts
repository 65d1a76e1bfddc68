import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { ConfigError, type FileProblem } from '../errors.js';

/**
 * Object schemas registered here hold ids rather than field names (e.g. the `rules` map), so an
 * unknown key is reported as an unknown `<noun>` with the known ones listed.
 */
export const idKeyedObjects = z.registry<{ noun: string }>();

/** A validated file that can still locate problems found after validation (cross-file checks, warnings). */
export interface ParsedFile<T> {
  readonly value: T;
  /** A problem at a key path, located at that key's value or, if absent, its nearest written ancestor. */
  problemAt(path: readonly (string | number)[], message: string): FileProblem;
}

/**
 * Parses YAML (JSON is YAML) and validates it with a zod schema, reporting every problem with
 * the file, line, column and dotted key it concerns. Throws ConfigError listing them all.
 */
export function parseWithSchema<S extends z.ZodType>(text: string, file: string, schema: S): z.output<S> {
  return parseFileWithSchema(text, file, schema).value;
}

/** Like parseWithSchema, keeping the document so later problems can be located too. */
export function parseFileWithSchema<S extends z.ZodType>(text: string, file: string, schema: S): ParsedFile<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: FileProblem[] = [];
  for (const err of doc.errors) {
    const pos = lineCounter.linePos(err.pos[0]);
    problems.push({ file, line: pos.line, column: pos.col, key: '', message: err.message.split('\n')[0] ?? err.message });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const result = schema.safeParse(data ?? {});
  if (result.success) {
    return {
      value: result.data,
      problemAt: (path, message) => {
        const at = locate(doc, lineCounter, path, false);
        return { file, line: at.line, column: at.column, key: joinKey(path), message };
      },
    };
  }
  for (const issue of result.error.issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const at = locate(doc, lineCounter, [...path, key], true);
        problems.push({ file, line: at.line, column: at.column, key: joinKey([...path, key]), message: unknownKeyMessage(schema, path, key) });
      }
      continue;
    }
    const at = locate(doc, lineCounter, path, false);
    const missing = issue.code === 'invalid_type' && at.exact === false;
    problems.push({
      file,
      line: at.line,
      column: at.column,
      key: joinKey(path),
      message: missing ? `is required (${issue.message})` : issue.message,
    });
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  throw new ConfigError(problems);
}

/** Reads and validates a YAML or JSON file; a missing or unreadable file is a ConfigError too. */
export async function loadFileWithSchema<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
  return parseWithSchema(await readConfigText(path), path, schema);
}

/** Reads a configuration file as text; a missing or unreadable file is a ConfigError. */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(cause)})`;
    throw new ConfigError([{ file: path, key: '', message: why }], { cause });
  }
}

/** The candidate closest to `word` by edit distance, when close enough to be a likely typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // A third of the word may be wrong; beyond that a "did you mean" misleads more than it helps.
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions, the commonest typo. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

function unknownKeyMessage(schema: z.ZodType, path: readonly PropertyKey[], key: string): string {
  const obj = objectSchemaAt(schema, path);
  const known = obj ? Object.keys(obj._zod.def.shape) : [];
  const noun = obj ? idKeyedObjects.get(obj)?.noun : undefined;
  const suggestion = closestMatch(key, known);
  const hint = suggestion ? `; did you mean ${suggestion}?` : '';
  if (noun) return `unknown ${noun} "${key}"${hint} Known ${noun}s: ${known.join(', ')}`;
  if (suggestion) return `unknown key "${key}"${hint}`;
  return known.length > 0 ? `unknown key "${key}"; expected one of: ${known.join(', ')}` : `unknown key "${key}"`;
}

type AnySchema = z.core.$ZodType;
interface WalkDef {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: readonly AnySchema[];
  getter?: () => AnySchema;
}

/** Follows a data path through the schema to the object schema that judged the keys there. */
function objectSchemaAt(schema: AnySchema, path: readonly PropertyKey[]): z.core.$ZodObject | undefined {
  let candidates: AnySchema[] = [schema];
  for (const seg of path) {
    const next: AnySchema[] = [];
    for (const c of candidates.flatMap(unwrap)) {
      const def = c._zod.def as unknown as WalkDef;
      if (def.type === 'object' && typeof seg === 'string' && def.shape?.[seg]) next.push(def.shape[seg]);
      else if (def.type === 'array' && typeof seg === 'number' && def.element) next.push(def.element);
      else if (def.type === 'record' && def.valueType) next.push(def.valueType);
    }
    candidates = next;
  }
  return candidates.flatMap(unwrap).find((c): c is z.core.$ZodObject => (c._zod.def as unknown as WalkDef).type === 'object');
}

/** The schemas a wrapper (optional, default, pipe, union…) may hand its input to. */
function unwrap(schema: AnySchema): AnySchema[] {
  const def = schema._zod.def as unknown as WalkDef;
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in && def.out) return [...unwrap(def.in), ...unwrap(def.out)];
  if (def.type === 'union' && def.options) return def.options.flatMap(unwrap);
  if (def.type === 'lazy' && def.getter) return unwrap(def.getter());
  return [schema];
}

function joinKey(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Finds the closest node for a path: the node itself, or the deepest existing ancestor. */
function locate(
  doc: Document,
  lc: LineCounter,
  path: readonly PropertyKey[],
  wantKey: boolean,
): { line?: number; column?: number; exact: boolean } {
  for (let depth = path.length; depth >= 0; depth--) {
    const sub = path.slice(0, depth) as (string | number)[];
    let node: YamlNode | null | undefined;
    if (wantKey && depth === path.length && depth > 0) {
      const parent = sub.length > 1 ? doc.getIn(sub.slice(0, -1), true) : doc.contents;
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === sub[sub.length - 1]);
        node = pair?.key as YamlNode | undefined;
      }
    } else {
      node = depth === 0 ? (doc.contents as YamlNode | null) : (doc.getIn(sub, true) as YamlNode | undefined);
    }
    if (node && node.range) {
      const pos = lc.linePos(node.range[0]);
      return { line: pos.line, column: pos.col, exact: depth === path.length };
    }
  }
  return { exact: false };
}
