import type { Cloud } from './domain/resource.js';

/** Base of every error costwatch raises on purpose. */
export class CostwatchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem in a policy or world file, located by file, line, column and key path. */
export interface FileProblem {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** Dotted key path, e.g. `rules.idle-endpoint.mode`. */
  readonly key: string;
  readonly message: string;
}

/** Formats a problem as `file:line:col: key: message`. */
export function formatProblem(p: FileProblem): string {
  const loc = p.line === undefined ? p.file : `${p.file}:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
  return `${loc}: ${p.key ? `${p.key}: ` : ''}${p.message}`;
}

/** A configuration or world file that cannot be used; lists every problem found. */
export class ConfigError extends CostwatchError {
  constructor(
    readonly problems: readonly FileProblem[],
    options?: ErrorOptions,
  ) {
    super(problems.map(formatProblem).join('\n'), options);
  }
}

/** A cloud API call that failed, with where it failed. */
export class ProviderError extends CostwatchError {
  constructor(
    message: string,
    readonly context: { cloud: Cloud; scopeId?: string; region?: string; operation?: string; resourceId?: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A conditional write lost: someone else decided first. */
export class AlreadyDecidedError extends CostwatchError {
  constructor(
    readonly proposalId: string,
    readonly existing: { verdict: string; by: string; at: Date },
  ) {
    super(`proposal ${proposalId} was already decided (${existing.verdict} by ${existing.by})`);
  }
}

/** An item the store was asked for does not exist. */
export class NotFoundError extends CostwatchError {}

/** A required environment variable is missing or malformed. */
export class EnvironmentError extends CostwatchError {}

/** A conditional state change found the item in another state than expected. */
export class ConditionFailedError extends CostwatchError {
  constructor(
    readonly id: string,
    readonly currentStatus: string | undefined,
    message?: string,
  ) {
    super(message ?? `${id} is ${currentStatus ?? 'missing'}; the change was not applied`);
  }
}

/**
 * The local state folder cannot be used (in use by another process, not a folder, unreadable or
 * corrupted); the message says what is wrong and what to do.
 */
export class StateFolderError extends CostwatchError {
  constructor(
    message: string,
    readonly reason: 'locked' | 'not-a-folder' | 'unreadable' | 'corrupted',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
