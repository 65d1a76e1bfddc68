import { CostwatchError } from '../errors.js';

/** A CSV text that cannot be read, with the line where reading stopped. */
export class CsvError extends CostwatchError {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/**
 * A CSV cell: a string, or null for an unquoted `NULL` (the FOCUS sample data's spelling of a
 * missing value). An empty unquoted cell is the empty string; `"NULL"` in quotes is the text NULL.
 */
export type CsvCell = string | null;

/** A parsed CSV file: its header and its rows, each as long as the header. */
export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly CsvCell[])[];
  /** 1-based line on which each row starts, for error messages. */
  readonly lines: readonly number[];
}

/**
 * Parses RFC 4180 CSV: quoted cells may hold commas, line breaks and doubled quotes; CRLF or LF
 * line ends; a trailing line break is optional. Every row must have as many cells as the header.
 */
export function parseCsv(text: string): CsvTable {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: { cells: CsvCell[]; line: number }[] = [];
  let cells: CsvCell[] = [];
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const n = src.length;
  let atRecordStart = true;
  while (i < n) {
    let cell: CsvCell;
    if (src[i] === '"') {
      const startLine = line;
      let out = '';
      i++;
      for (;;) {
        if (i >= n) throw new CsvError('a quoted cell is not closed', startLine);
        const ch = src[i]!;
        if (ch === '"') {
          if (src[i + 1] === '"') {
            out += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (ch === '\n') line++;
        out += ch;
        i++;
      }
      if (i < n && src[i] !== ',' && src[i] !== '\n' && src[i] !== '\r') {
        throw new CsvError(`unexpected ${JSON.stringify(src[i])} after a closing quote`, line);
      }
      cell = out;
    } else {
      let j = i;
      while (j < n && src[j] !== ',' && src[j] !== '\n' && src[j] !== '\r') {
        if (src[j] === '"') throw new CsvError('a quote inside an unquoted cell', line);
        j++;
      }
      const raw = src.slice(i, j);
      cell = raw === 'NULL' ? null : raw;
      i = j;
    }
    cells.push(cell);
    atRecordStart = false;
    if (i >= n) break;
    if (src[i] === ',') {
      i++;
      if (i >= n) cells.push('');
      continue;
    }
    // End of record: \n or \r\n (a lone \r ends the record too).
    if (src[i] === '\r') i++;
    if (src[i] === '\n') i++;
    records.push({ cells, line: recordLine });
    cells = [];
    line++;
    recordLine = line;
    atRecordStart = true;
  }
  if (!atRecordStart) records.push({ cells, line: recordLine });
  const [head, ...body] = records.filter((r) => !(r.cells.length === 1 && r.cells[0] === ''));
  if (!head) throw new CsvError('the file is empty: a header line is required', 1);
  const header = head.cells.map((c, k) => {
    if (c === null || c === '') throw new CsvError(`header cell ${k + 1} is empty`, head.line);
    return c;
  });
  const dup = header.find((h, k) => header.indexOf(h) !== k);
  if (dup) throw new CsvError(`column ${JSON.stringify(dup)} appears twice in the header`, head.line);
  for (const r of body) {
    if (r.cells.length !== header.length) throw new CsvError(`${r.cells.length} cells, but the header has ${header.length} columns`, r.line);
  }
  return { header, rows: body.map((r) => r.cells), lines: body.map((r) => r.line) };
}
