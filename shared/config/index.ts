export * from './schema.js';
export * from './load.js';
export { parseWithSchema, parseFileWithSchema, loadFileWithSchema, readConfigText, closestMatch, type ParsedFile } from './parse-file.js';
