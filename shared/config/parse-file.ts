import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type FileProblem } from '../errors.js';

/**
 * Parses YAML (JSON is YAML) and validates it with a zod schema, reporting every problem with
 * the file, line, column and dotted key it concerns. Throws ConfigError listing them all.
 */
export function parseWithSchema<S extends z.ZodType>(text: string, file: string, schema: S): z.output<S> {
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
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const at = locate(doc, lineCounter, [...path, key], true);
        problems.push({ file, ...at, key: joinKey([...path, key]), message: `unknown key "${key}"` });
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
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(cause)})`;
    throw new ConfigError([{ file: path, key: '', message: why }], { cause });
  }
  return parseWithSchema(text, path, schema);
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
