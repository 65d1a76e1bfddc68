import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  defaultPolicyFor,
  exemptionExpired,
  findPolicyFile,
  inQuietHours,
  loadPolicy,
  parsePolicy,
  policyScopes,
  PolicySchema,
  RULE_IDS,
  ruleSettings,
  type QuietHours,
} from '../../shared/config/index.js';
import { ConfigError, formatProblem, type FileProblem } from '../../shared/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/config');
const NOW = new Date('2025-06-01T12:00:00Z');
const ACCOUNT = ['clouds:', '  aws:', '    accounts:', '      - id: "123456789012"', '        regions: [us-east-1]'];

/** Numbered lines make the expected line numbers readable in the test itself. */
function lines(...ls: string[]): string {
  return ls.join('\n') + '\n';
}

function problemsOf(text: string): FileProblem[] {
  try {
    parsePolicy(text, 'costwatch.yml', { now: NOW });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected the policy to be refused');
}

/** Every key path the schema accepts, `[]` for list items and rule-common settings as `rules.<id>.x`. */
function schemaKeyPaths(): string[] {
  type Node = { properties?: Record<string, Node>; items?: Node; anyOf?: Node[]; allOf?: Node[] };
  const js = z.toJSONSchema(PolicySchema, { io: 'input', unrepresentable: 'any' }) as Node;
  const out = new Set<string>();
  const walk = (n: Node | undefined, path: string) => {
    if (!n) return;
    for (const [k, v] of Object.entries(n.properties ?? {})) {
      const p = path ? `${path}.${k}` : k;
      out.add(normaliseRuleCommon(p));
      walk(v, p);
    }
    walk(n.items, `${path}[]`);
    for (const alt of [...(n.anyOf ?? []), ...(n.allOf ?? [])]) walk(alt, path);
  };
  walk(js, '');
  return [...out];
}

function normaliseRuleCommon(path: string): string {
  return path.replace(/^rules\.[a-z-]+\.(enabled|mode|schedule|channel)$/, 'rules.<id>.$1');
}

function yamlKeyPaths(value: unknown, path = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) yamlKeyPaths(item, `${path}[]`, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      out.add(normaliseRuleCommon(p));
      yamlKeyPaths(v, p, out);
    }
  }
  return out;
}

describe('costwatch.example.yml', () => {
  const path = join(ROOT, 'costwatch.example.yml');

  it('is a valid policy without warnings', async () => {
    const { policy, warnings } = await loadPolicy(path, { now: NOW });

    expect(warnings).toEqual([]);
    expect(policyScopes(policy).map((t) => `${t.scope.cloud}:${t.scope.id}`)).toEqual([
      'aws:123456789012',
      'aws:210987654321',
      'gcp:ml-research-prod',
      'azure:3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    ]);
  });

  it('sets every key the schema accepts', async () => {
    const written = yamlKeyPaths(parseYaml(await readFile(path, 'utf8')));

    const missing = schemaKeyPaths().filter((p) => !p.startsWith('prices.') || p.split('.').length === 2).filter((p) => !written.has(p));

    expect(missing).toEqual([]);
  });
});

describe('docs/policy-file.md', () => {
  it('documents every key the schema accepts', async () => {
    const doc = await readFile(join(ROOT, 'docs/policy-file.md'), 'utf8');

    const undocumented = schemaKeyPaths().filter((p) => !doc.includes(`\`${p}\``));

    expect(undocumented).toEqual([]);
  });

  it('shows the error format exactly as costwatch prints it', async () => {
    const doc = await readFile(join(ROOT, 'docs/policy-file.md'), 'utf8');
    const text = await readFile(join(FIXTURES, 'several-problems.yml'), 'utf8');

    const printed = problemsOf(text).map(formatProblem);

    for (const line of printed) expect(doc).toContain(line);
  });
});

describe('parsePolicy defaults', () => {
  it('fills every default into a minimal file', async () => {
    const { policy, warnings } = await loadPolicy(join(FIXTURES, 'minimal.yml'), { now: NOW });

    expect(warnings).toEqual([]);
    expect(policy.dryRun).toBe(false);
    expect(policy.budgets).toEqual([]);
    expect(policy.quietHours).toBeUndefined();
    expect(policy.slack).toBeUndefined();
    expect(policy.exemptions).toEqual({ tagKey: 'costwatch:exempt', items: [] });
    expect(policy.limits).toEqual({ maxActionsPerRun: 10, maxActionsPerDay: 50, maxAutoMonthlyImpact: { amount: 5000, currency: 'USD' } });
    expect(Object.keys(policy.rules)).toEqual([...RULE_IDS]);
    expect(Object.fromEntries(RULE_IDS.map((id) => [id, policy.rules[id].mode]))).toEqual({
      'idle-endpoint': 'approve',
      'underused-endpoint': 'notify',
      'idle-notebook': 'approve',
      'idle-studio-app': 'approve',
      'long-training-job': 'notify',
      'idle-cluster': 'approve',
      'cold-artifacts': 'notify',
      'budget-breach': 'notify',
      'forecast-breach': 'notify',
      'cost-anomaly': 'notify',
      'spot-training': 'notify',
      'untagged-spend': 'notify',
      'commitment-coverage': 'notify',
      'autoscaling-floor': 'notify',
      'launch-guard': 'approve',
      'billing-cap': 'notify',
    });
    // Every rule is on by default but the launch guard, whose thresholds are the organisation's own.
    expect(RULE_IDS.filter((id) => !policy.rules[id].enabled)).toEqual(['launch-guard']);
    expect(policy.launchGuard).toEqual({ monthlyThreshold: 1000, currency: 'USD', allowedInstanceTypes: {}, workloadTagKey: 'workload', graceHours: 4, newWithinHours: 24 });
    expect(ruleSettings(policy, 'idle-endpoint')).toEqual({ enabled: true, mode: 'approve', windowHours: 24, minAgeHours: 24 });
    expect(ruleSettings(policy, 'underused-endpoint')).toMatchObject({ windowHours: 168, cpuBelowPercent: 10, gpuBelowPercent: 10 });
    expect(ruleSettings(policy, 'idle-notebook')).toMatchObject({ windowHours: 2, cpuBelowPercent: 5 });
    expect(ruleSettings(policy, 'idle-studio-app')).toMatchObject({ windowHours: 2 });
    expect(ruleSettings(policy, 'long-training-job')).toMatchObject({ maxHours: 72, maxRuntimeShare: 0.9 });
    expect(ruleSettings(policy, 'cold-artifacts')).toMatchObject({ buckets: [], olderThanDays: 30 });
    expect(ruleSettings(policy, 'cost-anomaly')).toMatchObject({ minImpact: 100 });
    expect(ruleSettings(policy, 'spot-training')).toEqual({ enabled: true, mode: 'notify', minSaving: 10 });
    expect(ruleSettings(policy, 'untagged-spend')).toMatchObject({ services: ['Amazon SageMaker', 'Amazon Bedrock'] });
    expect(ruleSettings(policy, 'commitment-coverage')).toMatchObject({ term: 1, paymentOption: 'no-upfront', lookbackDays: 30, minMonthlySaving: 50 });
    expect(policy.tags).toEqual({ required: ['team', 'env'], maxUntaggedShare: 0.1 });
  });

  it('makes minAgeHours follow windowHours unless set', () => {
    const text = lines('version: 1', ...ACCOUNT, 'rules:', '  idle-endpoint:', '    windowHours: 72', '  idle-notebook:', '    enabled: false');

    const { policy } = parsePolicy(text, 'costwatch.yml', { now: NOW });

    expect(ruleSettings(policy, 'idle-endpoint')).toMatchObject({ windowHours: 72, minAgeHours: 72, mode: 'approve' });
    expect(ruleSettings(policy, 'idle-notebook')).toMatchObject({ enabled: false, windowHours: 2 });
  });

  it('fills budget defaults and sorts thresholds without repeats', () => {
    const text = lines('version: 1', ...ACCOUNT, 'budgets:', '  - name: ml', '    amount: 1000', '    thresholds: { actual: [100, 50, 100, 75] }');

    const [budget] = parsePolicy(text, 'costwatch.yml', { now: NOW }).policy.budgets;

    expect(budget).toEqual({ name: 'ml', amount: 1000, currency: 'USD', period: 'monthly', scope: {}, thresholds: { actual: [50, 75, 100], forecast: [100] } });
  });

  it('warns, but accepts, a file with no cloud scope', () => {
    const { warnings } = parsePolicy('version: 1\n', 'costwatch.yml', { now: NOW });

    expect(warnings).toEqual([expect.objectContaining({ line: 1, key: 'clouds', message: expect.stringContaining('no cloud scope configured') })]);
  });
});

describe('parsePolicy problems', () => {
  it('reports a value of the wrong type at its line and key', () => {
    const [p, ...rest] = problemsOf(lines('version: 1', 'dryRun: yes'));

    expect(rest).toEqual([]);
    expect(p).toMatchObject({ line: 2, column: 9, key: 'dryRun', message: 'Invalid input: expected boolean, received string' });
  });

  it('reports an unknown key at the key, suggesting the closest one', () => {
    const problems = problemsOf(lines('version: 1', ...ACCOUNT, 'limits:', '  maxActionPerRun: 5'));

    expect(problems).toEqual([
      { file: 'costwatch.yml', line: 8, column: 3, key: 'limits.maxActionPerRun', message: 'unknown key "maxActionPerRun"; did you mean maxActionsPerRun?' },
    ]);
  });

  it('lists the allowed keys when an unknown key resembles none', () => {
    const [p] = problemsOf(lines('version: 1', 'limits:', '  banana: 5'));

    expect(p?.message).toBe('unknown key "banana"; expected one of: maxActionsPerRun, maxActionsPerDay, maxAutoMonthlyImpact');
  });

  it('reports an unknown rule id naming the known ones and the closest', () => {
    const [p] = problemsOf(lines('version: 1', ...ACCOUNT, 'rules:', '  idle-endpiont:', '    windowHours: 12'));

    expect(p).toMatchObject({ line: 8, column: 3, key: 'rules.idle-endpiont' });
    expect(p?.message).toMatch(/^unknown rule id "idle-endpiont"; did you mean idle-endpoint\? Known rule ids: idle-endpoint, underused-endpoint, .*cost-anomaly\b/);
  });

  it('reports an unknown rule id in a Slack route with a suggestion', () => {
    const [p] = problemsOf(lines('version: 1', 'slack:', '  channel: "#costs"', '  routes:', '    - rules: [idle-notbook]', '      channel: "#ml"'));

    expect(p).toMatchObject({ line: 5, key: 'slack.routes[0].rules[0]', message: expect.stringContaining('did you mean idle-notebook?') });
  });

  it('refuses an unquoted account id, showing how to quote it', () => {
    const [p] = problemsOf(lines('version: 1', 'clouds:', '  aws:', '    accounts:', '      - id: 012345678901', '        regions: [us-east-1]'));

    expect(p).toMatchObject({ line: 5, column: 13, key: 'clouds.aws.accounts[0].id' });
    expect(p?.message).toContain('write "012345678901"');
  });

  it('refuses an account id that is not 12 digits', () => {
    const [p] = problemsOf(lines('version: 1', 'clouds:', '  aws:', '    accounts:', '      - id: "12345"', '        regions: [us-east-1]'));

    expect(p).toMatchObject({ line: 5, key: 'clouds.aws.accounts[0].id', message: expect.stringContaining('12-digit') });
  });

  it.each([
    ['AWS', ['clouds:', '  aws:', '    accounts:', '      - id: "123456789012"', '        regions: [us-east-1, useast1]'], 'clouds.aws.accounts[0].regions[1]', 'not an AWS region'],
    ['Google Cloud', ['clouds:', '  gcp:', '    projects:', '      - id: ml-research', '        regions: [us-central1-a]'], 'clouds.gcp.projects[0].regions[0]', 'zones are not regions'],
    ['Azure', ['clouds:', '  azure:', '    subscriptions:', '      - id: 3f2504e0-4f89-11d3-9a0c-0305e82c3301', '        regions: [West Europe]'], 'clouds.azure.subscriptions[0].regions[0]', 'not an Azure region'],
  ])('refuses a malformed %s region', (_cloud, yaml, key, message) => {
    const [p] = problemsOf(lines('version: 1', ...yaml));

    expect(p).toMatchObject({ line: 6, key, message: expect.stringContaining(message) });
  });

  it('refuses an AWS account without regions', () => {
    const [p] = problemsOf(lines('version: 1', 'clouds:', '  aws:', '    accounts:', '      - id: "123456789012"', '        regions: []'));

    expect(p).toMatchObject({ line: 6, key: 'clouds.aws.accounts[0].regions', message: 'list at least one region to scan' });
  });

  it.each([
    ['cron(0 8 * * MON-FRI)', 'cron needs 6 fields'],
    ['cron(0 8 * * MON-FRI *)', 'exactly one of day-of-month and day-of-week must be ?'],
    ['cron(0 25 ? * MON-FRI *)', 'cron hours "25": 25 is outside 0-23'],
    ['cron(0 8 ? * FUN *)', 'cron day-of-week "FUN"'],
    ['rate(1 hours)', 'write rate(1 hour)'],
    ['rate(5 minute)', 'write rate(5 minutes)'],
    ['rate(2 weeks)', 'unknown rate unit "weeks"'],
    ['every 5 minutes', 'must be rate('],
  ])('refuses the schedule %s', (expr, message) => {
    const [p] = problemsOf(lines('version: 1', 'rules:', '  idle-notebook:', `    schedule: ${expr}`));

    expect(p).toMatchObject({ line: 4, column: 15, key: 'rules.idle-notebook.schedule', message: expect.stringContaining(message) });
  });

  it.each(['rate(1 hour)', 'rate(15 minutes)', 'rate(7 days)', 'cron(0 8 ? * MON-FRI *)', 'cron(0/15 * * * ? *)', 'cron(0 18 L * ? 2025-2030)', 'cron(0 9 ? JAN,JUL 2#1 *)', 'cron(30 6 15W * ? *)'])(
    'accepts the schedule %s',
    (expr) => {
      const text = lines('version: 1', ...ACCOUNT, 'rules:', '  idle-notebook:', `    schedule: "${expr}"`);

      expect(parsePolicy(text, 'costwatch.yml', { now: NOW }).policy.rules['idle-notebook'].schedule).toBe(expr);
    },
  );

  it('refuses an unknown time zone', () => {
    const [p] = problemsOf(lines('version: 1', 'quietHours:', '  start: "22:00"', '  end: "07:00"', '  timezone: Europe/Berln'));

    expect(p).toMatchObject({ line: 5, column: 13, key: 'quietHours.timezone', message: expect.stringContaining('unknown IANA time zone "Europe/Berln"') });
  });

  it('refuses quiet hours that start when they end', () => {
    const [p] = problemsOf(lines('version: 1', 'quietHours:', '  start: "22:00"', '  end: "22:00"', '  timezone: UTC'));

    expect(p).toMatchObject({ line: 4, key: 'quietHours.end', message: expect.stringContaining('start and end are equal') });
  });

  it('refuses a duplicate budget name at the second one', () => {
    const problems = problemsOf(lines('version: 1', 'budgets:', '  - name: ml', '    amount: 100', '  - name: ml', '    amount: 200'));

    expect(problems).toEqual([{ file: 'costwatch.yml', line: 5, column: 11, key: 'budgets[1].name', message: 'duplicate budget name: already used by budgets[0]' }]);
  });

  it('refuses a duplicate account id', () => {
    const [p] = problemsOf(lines('version: 1', 'clouds:', '  aws:', '    accounts:', '      - { id: "123456789012", regions: [us-east-1] }', '      - { id: "123456789012", regions: [eu-west-1] }'));

    expect(p).toMatchObject({ line: 6, key: 'clouds.aws.accounts[1].id', message: expect.stringContaining('duplicate id') });
  });

  it('checks the playbook keys: tags, spot-training, commitment-coverage', () => {
    const problems = problemsOf(
      lines(
        'version: 1',
        'tags:',
        '  required: [team, team]',
        '  maxUntaggedShare: 10',
        'rules:',
        '  spot-training:',
        '    mode: approve',
        '    discountPercent: 0',
        '  commitment-coverage:',
        '    term: 2',
        '    lookbackDays: 14',
        '  untagged-spend:',
        '    services: []',
      ),
    );

    expect(problems.map((p) => `${p.key}: ${p.message}`)).toEqual([
      'tags.required[1]: duplicate tag key: already listed as required[0]',
      'tags.maxUntaggedShare: a share from 0 to 1 (0.1 = 10%)',
      'rules.spot-training.mode: spot-training is notify-only in this version: it reports but has no action to approve or run; use mode: notify',
      'rules.spot-training.discountPercent: must be greater than 0',
      'rules.commitment-coverage.term: must be 1 or 3 (years)',
      'rules.commitment-coverage.lookbackDays: must be 7, 30 or 60 (the look-back periods Cost Explorer recommends from)',
      'rules.untagged-spend.services: list at least one service name as billed, e.g. Amazon SageMaker',
    ]);
    expect(parsePolicy(lines('version: 1', 'tags: { required: [] }'), 'costwatch.yml').policy.tags).toEqual({ required: [], maxUntaggedShare: 0.1 });
  });

  it('refuses a mode other than notify on a notify-only rule, saying so', () => {
    const [p] = problemsOf(lines('version: 1', 'rules:', '  cost-anomaly:', '    mode: auto'));

    expect(p).toMatchObject({ line: 4, key: 'rules.cost-anomaly.mode', message: expect.stringContaining('cost-anomaly is notify-only in this version') });
  });

  it('requires approvers when Slack is set and a rule needs approval', () => {
    const problems = problemsOf(lines('version: 1', ...ACCOUNT, 'slack:', '  channel: "#costs"'));

    expect(problems).toEqual([
      expect.objectContaining({ line: 8, key: 'slack.approvers', message: expect.stringContaining('no approvers: idle-endpoint, idle-notebook, idle-studio-app, idle-cluster need someone to approve') }),
    ]);
  });

  it('needs no approvers when every rule only notifies', () => {
    // The launch guard has no notify mode: it is off unless enabled.
    const modes = RULE_IDS.filter((id) => id !== 'launch-guard').flatMap((id) => [`  ${id}:`, '    mode: notify']);

    const { policy } = parsePolicy(lines('version: 1', ...ACCOUNT, 'slack:', '  channel: "#costs"', 'rules:', ...modes), 'costwatch.yml', { now: NOW });

    expect(policy.slack?.approvers).toEqual({ users: [], userGroups: [] });
  });

  it('refuses the launch guard in notify mode, and a grace period as long as a resource stays new', () => {
    const problems = problemsOf(lines('version: 1', ...ACCOUNT, 'rules:', '  launch-guard: { enabled: true, mode: notify }', 'launchGuard:', '  graceHours: 24', '  allowedInstanceTypes: { gpu: [ml.g5.*] }'));

    expect(problems.map((p) => p.key).sort()).toEqual(['launchGuard.allowedInstanceTypes.gpu', 'launchGuard.graceHours', 'rules.launch-guard.mode']);
    expect(problems.find((p) => p.key === 'rules.launch-guard.mode')?.message).toContain('use mode: approve or auto');
    expect(problems.find((p) => p.key === 'launchGuard.graceHours')?.message).toContain('shorter than newWithinHours (24)');
  });

  it('explains an unquoted Slack channel, which YAML reads as a comment', () => {
    const [p] = problemsOf(lines('version: 1', 'slack:', '  channel: #costs'));

    expect(p).toMatchObject({ line: 3, key: 'slack.channel', message: expect.stringContaining('quote the channel') });
  });

  it('refuses an unsupported or missing version', () => {
    expect(problemsOf('version: 2\n')).toEqual([expect.objectContaining({ line: 1, key: 'version', message: expect.stringContaining('unsupported version 2') })]);
    expect(problemsOf('dryRun: true\n')).toEqual([expect.objectContaining({ key: 'version', message: expect.stringContaining('is required') })]);
  });

  it('reports a YAML syntax error at its line', async () => {
    await expect(loadPolicy(join(FIXTURES, 'syntax-error.yml'), { now: NOW })).rejects.toMatchObject({
      problems: [expect.objectContaining({ line: 6, column: 1, key: '', message: 'Sequence item without - indicator' })],
    });
  });

  it('reports a key given twice as a syntax error', () => {
    expect(problemsOf(lines('version: 1', 'dryRun: true', 'dryRun: false'))).toEqual([expect.objectContaining({ line: 3, message: 'Map keys must be unique' })]);
  });

  it('says so when the file is empty or only comments', async () => {
    expect(problemsOf('')).toEqual([expect.objectContaining({ line: 1, message: expect.stringContaining('the file is empty') })]);
    await expect(loadPolicy(join(FIXTURES, 'empty.yml'), { now: NOW })).rejects.toThrow(/empty\.yml:1:1: the file is empty/);
  });

  it('says so when the file is missing', async () => {
    const missing = join(FIXTURES, 'no-such-file.yml');

    await expect(loadPolicy(missing)).rejects.toMatchObject({ name: 'ConfigError', problems: [{ file: missing, key: '', message: 'file not found' }] });
  });

  it('reports several problems at once, sorted by line', async () => {
    const file = join(FIXTURES, 'several-problems.yml');

    const err = await loadPolicy(file, { now: NOW }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => `${p.line}:${p.column} ${p.key}`)).toEqual([
      '2:1 dryrun',
      '6:13 clouds.aws.accounts[0].id',
      '7:19 clouds.aws.accounts[0].regions[0]',
      '11:11 budgets[1].name',
      '14:3 rules.idle-endpiont',
      '17:11 rules.idle-notebook.mode',
      '18:15 rules.idle-notebook.schedule',
      '22:13 quietHours.timezone',
    ]);
    expect((err as ConfigError).message.split('\n')[5]).toBe(
      `${file}:17:11: rules.idle-notebook.mode: Invalid option: expected one of "notify"|"approve"|"auto"`,
    );
  });
});

describe('exemptions', () => {
  it('ignores an expired exemption with a warning at its expires line', async () => {
    const { policy, warnings } = await loadPolicy(join(FIXTURES, 'expired-exemption.yml'), { now: NOW });

    expect(policy.exemptions.items.map((e) => e.reason)).toEqual(['must stay warm', 'research benchmarks']);
    expect(warnings).toEqual([
      expect.objectContaining({ line: 11, key: 'exemptions.items[0].expires', message: expect.stringContaining('expired (expires: 2025-03-31): this exemption is ignored') }),
    ]);
  });

  it('keeps a date-only exemption through the end of that UTC day', () => {
    const item = { expires: '2025-03-31' };

    expect(exemptionExpired(item, new Date('2025-03-31T23:59:59Z'))).toBe(false);
    expect(exemptionExpired(item, new Date('2025-04-01T00:00:00Z'))).toBe(true);
    expect(exemptionExpired({ expires: '2025-03-31T18:00:00+02:00' }, new Date('2025-03-31T16:00:00Z'))).toBe(true);
  });

  it('refuses an exemption that matches nothing, or everything', () => {
    const problems = problemsOf(lines('version: 1', 'exemptions:', '  items:', '    - reason: forgot the selector', '    - tags: {}', '      reason: all of them'));

    expect(problems.map((p) => [p.line, p.key])).toEqual([
      [4, 'exemptions.items[0]'],
      [5, 'exemptions.items[1].tags'],
    ]);
  });

  it('refuses an impossible expiry date', () => {
    const [p] = problemsOf(lines('version: 1', 'exemptions:', '  items:', '    - names: ["demo-*"]', '      reason: demo', '      expires: 2025-02-30'));

    expect(p).toMatchObject({ line: 6, key: 'exemptions.items[0].expires', message: expect.stringContaining('ISO date') });
  });
});

describe('inQuietHours', () => {
  const berlinNights: QuietHours = { start: '22:00', end: '07:00', timezone: 'Europe/Berlin' };

  it.each([
    ['2025-01-15T20:59:00Z', false], // 21:59 CET
    ['2025-01-15T21:00:00Z', true], // 22:00 CET
    ['2025-01-15T23:30:00Z', true], // 00:30 CET, past midnight
    ['2025-01-16T05:59:00Z', true], // 06:59 CET
    ['2025-01-16T06:00:00Z', false], // 07:00 CET: end is exclusive
    ['2025-07-15T20:30:00Z', true], // 22:30 CEST: summer time shifts the UTC window
    ['2025-07-16T05:30:00Z', false], // 07:30 CEST
  ])('22:00–07:00 Europe/Berlin at %s is %s', (at, expected) => {
    expect(inQuietHours(berlinNights, new Date(at))).toBe(expected);
  });

  it('follows the wall clock across the spring DST change', () => {
    // 2025-03-30: clocks go from 02:00 CET to 03:00 CEST; the window still ends at 07:00 local.
    expect(inQuietHours(berlinNights, new Date('2025-03-30T00:30:00Z'))).toBe(true); // 01:30 CET
    expect(inQuietHours(berlinNights, new Date('2025-03-30T04:59:00Z'))).toBe(true); // 06:59 CEST
    expect(inQuietHours(berlinNights, new Date('2025-03-30T05:30:00Z'))).toBe(false); // 07:30 CEST
    expect(inQuietHours(berlinNights, new Date('2025-03-29T05:30:00Z'))).toBe(true); // a day earlier: 06:30 CET
  });

  it('follows the wall clock across the autumn DST change', () => {
    // 2025-10-26: clocks go from 03:00 CEST back to 02:00 CET.
    expect(inQuietHours(berlinNights, new Date('2025-10-26T05:30:00Z'))).toBe(true); // 06:30 CET
    expect(inQuietHours(berlinNights, new Date('2025-10-25T05:30:00Z'))).toBe(false); // 07:30 CEST
  });

  it('gives a window crossing midnight to the day it starts on', () => {
    const fridayNights: QuietHours = { ...berlinNights, days: ['fri'] };

    expect(inQuietHours(fridayNights, new Date('2025-01-17T21:30:00Z'))).toBe(true); // Fri 22:30
    expect(inQuietHours(fridayNights, new Date('2025-01-18T05:00:00Z'))).toBe(true); // Sat 06:00, Friday's night
    expect(inQuietHours(fridayNights, new Date('2025-01-17T05:00:00Z'))).toBe(false); // Fri 06:00, Thursday's night
    expect(inQuietHours(fridayNights, new Date('2025-01-18T21:30:00Z'))).toBe(false); // Sat 22:30
  });

  it('handles a window within one day, and no window', () => {
    const lunch: QuietHours = { start: '12:00', end: '13:30', timezone: 'America/New_York' };

    expect(inQuietHours(lunch, new Date('2025-01-15T17:15:00Z'))).toBe(true); // 12:15 EST
    expect(inQuietHours(lunch, new Date('2025-01-15T18:30:00Z'))).toBe(false); // 13:30 EST
    expect(inQuietHours(undefined, new Date('2025-01-15T17:15:00Z'))).toBe(false);
  });
});

describe('findPolicyFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'costwatch-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds costwatch.yml, then costwatch.yaml, else nothing', async () => {
    expect(await findPolicyFile(dir)).toBeUndefined();

    await writeFile(join(dir, 'costwatch.yaml'), 'version: 1\n');
    expect(await findPolicyFile(dir)).toBe(join(dir, 'costwatch.yaml'));
  });

  it('refuses to choose when both exist', async () => {
    await writeFile(join(dir, 'costwatch.yml'), 'version: 1\n');
    await writeFile(join(dir, 'costwatch.yaml'), 'version: 1\n');

    await expect(findPolicyFile(dir)).rejects.toThrow(/both costwatch\.yml and costwatch\.yaml exist/);
  });
});

describe('defaultPolicyFor', () => {
  it('builds a valid policy with defaults for the given scopes', () => {
    const targets = [
      { scope: { cloud: 'aws' as const, id: '111122223333', name: 'sandbox' }, regions: ['us-east-1', 'eu-west-1'] },
      { scope: { cloud: 'gcp' as const, id: 'sandbox-project' }, regions: [] },
    ];

    const policy = defaultPolicyFor(targets);

    expect(policyScopes(policy)).toEqual(targets);
    expect(policy.rules['idle-endpoint']).toMatchObject({ enabled: true, mode: 'approve', windowHours: 24 });
    expect(policy.dryRun).toBe(false);
  });

  it('refuses scopes that would not make a valid policy', () => {
    expect(() => defaultPolicyFor([{ scope: { cloud: 'aws', id: '1234' }, regions: ['us-east-1'] }])).toThrow(ConfigError);
  });
});
