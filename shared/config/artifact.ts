import { readFile } from 'node:fs/promises';
import { ConfigError, type FileProblem } from '../errors.js';
import { activeExemptions, policyWarnings, RULE_IDS, type Policy } from './policy.js';

/**
 * The policy as a deployed function receives it: `costwatch.yml` validated at synth (the CLI's
 * validation, every default applied), written as JSON into each function's bundle. A function
 * reads it with JSON.parse: no YAML parser and no schema library at run time.
 */
export interface PolicyArtifact {
  readonly format: typeof POLICY_ARTIFACT_FORMAT;
  readonly version: typeof POLICY_ARTIFACT_VERSION;
  /** The file it was validated from, for messages (the path on the machine that synthesized). */
  readonly source: string;
  readonly policy: Policy;
}

/** What an artifact says it is. */
export const POLICY_ARTIFACT_FORMAT = 'costwatch-policy';
/** Version of the artifact's layout; a function refuses one it does not know. */
export const POLICY_ARTIFACT_VERSION = 1;
/** File name of the artifact in every function bundle. */
export const POLICY_ARTIFACT_NAME = 'policy.json';

/** The artifact's text for a validated policy. */
export function policyArtifact(policy: Policy, source: string): string {
  const artifact: PolicyArtifact = { format: POLICY_ARTIFACT_FORMAT, version: POLICY_ARTIFACT_VERSION, source, policy };
  return `${JSON.stringify(artifact)}\n`;
}

/** A policy read from its artifact, with what is worth logging about it. */
export interface PolicyFromArtifact {
  readonly policy: Policy;
  /** Warnings at load time (an exemption that has expired since synth is one). */
  readonly warnings: FileProblem[];
}

/**
 * Reads a policy artifact. Exemptions expired at `now` are dropped (and warned about), as the
 * CLI drops them when it reads the YAML. Throws ConfigError when the file is missing, is not
 * JSON or is not an artifact of this version: the deployment is broken, redeploy.
 */
export async function loadPolicyArtifact(path: string, now: Date = new Date()): Promise<PolicyFromArtifact> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file: path, key: '', message: `cannot read the policy artifact (${(err as NodeJS.ErrnoException).code ?? 'error'}): it is written into every function at cdk synth; redeploy` }], { cause: err });
  }
  return parsePolicyArtifact(text, path, now);
}

/** Parses an artifact's text; see {@link loadPolicyArtifact}. */
export function parsePolicyArtifact(text: string, file: string, now: Date = new Date()): PolicyFromArtifact {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ file, key: '', message: `the policy artifact is not JSON (${(err as Error).message}): redeploy` }], { cause: err });
  }
  const a = json as Partial<PolicyArtifact> | null;
  if (typeof a !== 'object' || a === null || a.format !== POLICY_ARTIFACT_FORMAT) {
    throw new ConfigError([{ file, key: 'format', message: `not a costwatch policy artifact (expected format "${POLICY_ARTIFACT_FORMAT}"): point POLICY_FILE at the policy.json written by cdk synth` }]);
  }
  if (a.version !== POLICY_ARTIFACT_VERSION) {
    throw new ConfigError([{ file, key: 'version', message: `policy artifact version ${JSON.stringify(a.version)}; this code reads version ${POLICY_ARTIFACT_VERSION}: redeploy so code and policy are synthesized together` }]);
  }
  const p = a.policy as Policy | undefined;
  if (typeof p !== 'object' || p === null || typeof p.rules !== 'object' || typeof p.clouds !== 'object' || typeof p.exemptions !== 'object') {
    throw new ConfigError([{ file, key: 'policy', message: 'the policy artifact has no policy: redeploy' }]);
  }
  // A policy synthesized by another costwatch lacks the settings of rules (or sections) added since:
  // running on it would read undefined settings, so it is refused rather than half-applied.
  const missing = [
    ...RULE_IDS.filter((id) => typeof p.rules[id] !== 'object' || p.rules[id] === null).map((id) => `rules.${id}`),
    ...(typeof p.tags !== 'object' || p.tags === null ? ['tags'] : []),
    ...(typeof p.launchGuard !== 'object' || p.launchGuard === null || typeof p.launchGuard.graceHours !== 'number' || typeof p.launchGuard.monthlyThreshold !== 'number' ? ['launchGuard'] : []),
  ];
  if (missing.length > 0) {
    throw new ConfigError([{ file, key: 'policy', message: `the policy artifact has no ${missing.join(', ')}: it was synthesized by another version of costwatch; redeploy` }]);
  }
  const source = typeof a.source === 'string' ? a.source : file;
  const warnings = policyWarnings(p, now).map((w) => ({ file: source, key: w.path.map((x) => (typeof x === 'number' ? `[${x}]` : String(x))).join('.').replace(/\.\[/g, '['), message: w.message }));
  return { policy: { ...p, exemptions: { ...p.exemptions, items: activeExemptions(p, now) } }, warnings };
}
