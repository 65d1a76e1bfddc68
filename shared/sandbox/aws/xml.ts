/*
 * Just enough XML for the S3 REST API the sandbox serves: elements, text and entities; no
 * attributes are kept (S3 request bodies carry only `xmlns`), no DTDs, no CDATA.
 */

/** An XML element: its name, child elements in order, and its text. */
export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  text: string;
}

/** Malformed XML, with the offset where reading stopped. */
export class XmlError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'XmlError';
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string, at: number): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    const v = ENTITIES[e];
    if (v === undefined) throw new XmlError(`unknown entity &${e};`, at);
    return v;
  });
}

/** Parses a document into its root element. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const n = text.length;
  const skipMisc = () => {
    for (;;) {
      while (i < n && /\s/.test(text[i]!)) i++;
      if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) throw new XmlError('unclosed processing instruction', i);
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) throw new XmlError('unclosed comment', i);
        i = end + 3;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (text[i] !== '<') throw new XmlError('expected an element', i);
    const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(text.slice(i, i + 2048));
    if (!m) throw new XmlError('malformed start tag', i);
    i += m[0].length;
    const el: XmlElement = { name: m[1]!.replace(/^\w+:/, ''), children: [], text: '' };
    if (m[3] === '/') return el;
    let textParts = '';
    for (;;) {
      if (i >= n) throw new XmlError(`unclosed element <${el.name}>`, i);
      if (text.startsWith('</', i)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(i, i + 300));
        if (!close || close[1]!.replace(/^\w+:/, '') !== el.name) throw new XmlError(`expected </${el.name}>`, i);
        i += close[0].length;
        el.text = el.children.length > 0 ? textParts.trim() : textParts;
        return el;
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) throw new XmlError('unclosed comment', i);
        i = end + 3;
        continue;
      }
      if (text[i] === '<') {
        el.children.push(element());
        continue;
      }
      const next = text.indexOf('<', i);
      const end = next < 0 ? n : next;
      textParts += decode(text.slice(i, end), i);
      i = end;
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i < n) throw new XmlError('content after the root element', i);
  return root;
}

/** Escapes text for element content. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A value to write: text, a nested element list, or a list of repeated elements. */
export type XmlValue = string | number | boolean | undefined | XmlNode[];
/** One element to write. */
export type XmlNode = readonly [name: string, value: XmlValue];

/** Writes elements; undefined values are left out. */
export function writeXml(nodes: readonly XmlNode[]): string {
  return nodes
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => (Array.isArray(v) ? `<${name}>${writeXml(v)}</${name}>` : `<${name}>${escapeXml(String(v))}</${name}>`))
    .join('');
}

/** A full document with the S3 namespace on its root. */
export function s3Document(root: string, nodes: readonly XmlNode[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${writeXml(nodes)}</${root}>`;
}
