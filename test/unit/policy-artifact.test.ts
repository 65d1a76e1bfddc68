import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyArtifact, parsePolicyArtifact, policyArtifact } from '../../shared/config/artifact.js';
import { parsePolicy } from '../../shared/config/load.js';
import { ConfigError } from '../../shared/errors.js';

const YAML = `version: 1
clouds: { aws: { accounts: [{ id: "111111111111", regions: [us-east-1] }] } }
rules: { idle-endpoint: { windowHours: 48 } }
exemptions:
  items:
    - { names: [fraud-v3], reason: launch week, expires: 2025-07-01 }
    - { names: [ranker], reason: always on }
quietHours: { start: "22:00", end: "07:00", timezone: Europe/Berlin }
`;

describe('policy artifact', () => {
  it('gives back the policy the CLI reads from the same YAML, every default applied', () => {
    const at = new Date('2025-06-18T12:00:00Z');
    const { policy } = parsePolicy(YAML, 'costwatch.yml', { now: at });
    const read = parsePolicyArtifact(policyArtifact(policy, 'costwatch.yml'), 'policy.json', at);
    expect(read.policy).toEqual(policy);
    expect(read.policy.rules['idle-endpoint']).toMatchObject({ windowHours: 48, minAgeHours: 48, mode: 'approve', enabled: true });
    expect(read.warnings).toEqual([]);
  });

  it('refuses an artifact from an older synth that lacks the keys of newer rules, naming them', () => {
    const { policy } = parsePolicy(YAML, 'costwatch.yml', { now: new Date('2025-06-18T12:00:00Z') });
    const { 'autoscaling-floor': _floor, ...olderRules } = policy.rules;
    const { launchGuard: _guard, ...older } = policy;
    const text = policyArtifact({ ...older, rules: olderRules } as unknown as typeof policy, 'costwatch.yml');

    expect(() => parsePolicyArtifact(text, 'policy.json')).toThrow(ConfigError);
    expect(() => parsePolicyArtifact(text, 'policy.json')).toThrow(/has no rules\.autoscaling-floor, launchGuard: .*redeploy/);
  });

  it('drops an exemption that expired after synth, with a warning naming it', () => {
    const { policy } = parsePolicy(YAML, 'costwatch.yml', { now: new Date('2025-06-18T12:00:00Z') });
    const later = parsePolicyArtifact(policyArtifact(policy, '/src/costwatch.yml'), 'policy.json', new Date('2025-07-02T00:00:00Z'));
    expect(later.policy.exemptions.items.map((e) => e.reason)).toEqual(['always on']);
    expect(later.warnings).toEqual([expect.objectContaining({ file: '/src/costwatch.yml', key: 'exemptions.items[0].expires', message: expect.stringMatching(/^expired/) })]);
  });

  it('refuses with a clear reason what is not an artifact of this version', async () => {
    const reason = (text: string) => {
      try {
        parsePolicyArtifact(text, 'policy.json');
        return 'accepted';
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
    };
    expect(reason('version: 1')).toMatch(/not JSON/);
    expect(reason('{"version":1}')).toMatch(/not a costwatch policy artifact/);
    expect(reason('{"format":"costwatch-policy","version":2,"policy":{}}')).toMatch(/version 2; this code reads version 1/);
    expect(reason('{"format":"costwatch-policy","version":1}')).toMatch(/has no policy/);
    // Synthesized by a costwatch without the playbook rules: refused, naming what is missing.
    const { policy } = parsePolicy(YAML, 'costwatch.yml');
    const { tags: _tags, rules, ...older } = policy;
    const { 'spot-training': _s, ...olderRules } = rules;
    expect(reason(JSON.stringify({ format: 'costwatch-policy', version: 1, policy: { ...older, rules: olderRules } }))).toMatch(/has no rules\.spot-training, tags: it was synthesized by another version of costwatch; redeploy/);
    const dir = await mkdtemp(join(tmpdir(), 'costwatch-artifact-'));
    try {
      await expect(loadPolicyArtifact(join(dir, 'missing.json'))).rejects.toThrow(/cannot read the policy artifact \(ENOENT\)/);
      await writeFile(join(dir, 'policy.json'), policyArtifact(parsePolicy(YAML, 'costwatch.yml').policy, 'costwatch.yml'));
      expect((await loadPolicyArtifact(join(dir, 'policy.json'))).policy.clouds.aws?.accounts[0]?.id).toBe('111111111111');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
