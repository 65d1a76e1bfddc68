import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, type FileProblem } from '../errors.js';
import type { ScopeTarget } from '../providers/port.js';
import { parseFileWithSchema, readConfigText } from './parse-file.js';
import { activeExemptions, PolicySchema, policyWarnings, type Policy, type PolicyInput } from './schema.js';

/** File names `findPolicyFile` looks for, in order. */
export const POLICY_FILE_NAMES = ['costwatch.yml', 'costwatch.yaml'] as const;

/** A valid policy and what is worth telling the user about it. */
export interface LoadedPolicy {
  readonly policy: Policy;
  /** Sorted by line; the policy works despite them (e.g. an expired exemption, now ignored). */
  readonly warnings: FileProblem[];
}

/** Options of loadPolicy / parsePolicy. */
export interface LoadPolicyOptions {
  /** "Now", for exemption expiry; defaults to the system clock. */
  readonly now?: Date;
}

/** Reads and validates a policy file; throws ConfigError listing every problem with line and key. */
export async function loadPolicy(path: string, options: LoadPolicyOptions = {}): Promise<LoadedPolicy> {
  return parsePolicy(await readConfigText(path), path, options);
}

/**
 * Validates policy text. Expired exemptions are dropped from the result (with a warning) so no
 * consumer can honour one by mistake.
 */
export function parsePolicy(text: string, file: string, options: LoadPolicyOptions = {}): LoadedPolicy {
  if (isBlank(text)) {
    throw new ConfigError([{ file, line: 1, column: 1, key: '', message: 'the file is empty: it needs at least "version: 1" (see costwatch.example.yml)' }]);
  }
  const now = options.now ?? new Date();
  const parsed = parseFileWithSchema(text, file, PolicySchema);
  const warnings = policyWarnings(parsed.value, now)
    .map((w) => parsed.problemAt(w.path, w.message))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const policy: Policy = { ...parsed.value, exemptions: { ...parsed.value.exemptions, items: activeExemptions(parsed.value, now) } };
  return { policy, warnings };
}

/** The policy file in `cwd` (`costwatch.yml`, else `costwatch.yaml`), or undefined when there is none. */
export async function findPolicyFile(cwd: string): Promise<string | undefined> {
  const found: string[] = [];
  for (const name of POLICY_FILE_NAMES) {
    const path = join(cwd, name);
    if (await exists(path)) found.push(path);
  }
  if (found.length > 1) {
    // Picking one silently would let edits to the other go unnoticed.
    throw new ConfigError([{ file: found[1]!, key: '', message: `both ${POLICY_FILE_NAMES.join(' and ')} exist in ${cwd}: keep one` }]);
  }
  return found[0];
}

/**
 * A valid policy watching the given scopes with every default, for runs without a policy
 * file (the bundled sandbox world).
 */
export function defaultPolicyFor(targets: readonly ScopeTarget[], extra: Readonly<Record<string, unknown>> = {}): Policy {
  const of = (cloud: ScopeTarget['scope']['cloud']) => targets.filter((t) => t.scope.cloud === cloud);
  const named = (t: ScopeTarget) => ({ id: t.scope.id, ...(t.scope.name ? { name: t.scope.name } : {}) });
  const withRegions = (t: ScopeTarget) => ({ ...named(t), ...(t.regions.length > 0 ? { regions: [...t.regions] } : {}) });
  const aws = of('aws');
  const gcp = of('gcp');
  const azure = of('azure');
  // `extra` (a sandbox world's policy) adds settings; the scopes always come from the targets.
  const extraAws = (extra['clouds'] as { aws?: Record<string, unknown> } | undefined)?.aws;
  const extraGcp = (extra['clouds'] as { gcp?: Record<string, unknown> } | undefined)?.gcp;
  const input: PolicyInput = {
    ...(extra as Partial<PolicyInput>),
    version: 1,
    clouds: {
      ...(aws.length > 0 ? { aws: { ...extraAws, accounts: aws.map((t) => ({ ...named(t), regions: [...t.regions] })) } } : {}),
      ...(gcp.length > 0 ? { gcp: { ...extraGcp, projects: gcp.map(withRegions) } } : {}),
      ...(azure.length > 0 ? { azure: { subscriptions: azure.map(withRegions) } } : {}),
    },
  };
  const result = PolicySchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((i) => ({
      file: '(default policy)',
      key: i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '['),
      message: i.message,
    })),
  );
}

function isBlank(text: string): boolean {
  return text.split(/\r?\n/).every((line) => /^\s*(#.*)?$/.test(line) || /^(---|\.\.\.)\s*$/.test(line));
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
