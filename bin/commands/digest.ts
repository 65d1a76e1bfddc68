import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { defaultPolicyFor, findPolicyFile, loadPolicy } from '../../shared/config/load.js';
import { policyScopes, type Policy } from '../../shared/config/policy.js';
import { formatMoney } from '../../shared/domain/money.js';
import { formatProblem } from '../../shared/errors.js';
import { executeProposal } from '../../shared/pipeline/execute.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { loadWorld, SAMPLE_WORLD_PATH, worldScopes } from '../../shared/sandbox/index.js';
import { startSandbox, type Sandbox } from '../../shared/sandbox/server.js';
import { hoursOff, realized } from '../../shared/savings/ledger.js';
import { renderDigest } from '../../shared/slack/digest.js';
import { openEmbeddedStore, openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';
import { EXIT, takeOptionalValue, UsageError } from './common.js';
import { cliProviders } from './providers.js';
import { entryJson } from './savings.js';
import type { Io } from './scan.js';

/** Hours the sandbox digest lets pass between acting and reporting. */
export const SANDBOX_DIGEST_HOURS = 72;

/** Who approves the sandbox's proposals in `digest --sandbox`. */
export const SANDBOX_DIGEST_ACTOR = 'cli:sandbox-digest';

/**
 * `costwatch digest [--config FILE] [--sandbox [WORLD]] --out DIR [--state-dir DIR]`: writes the
 * weekly digest's charts (PNG) and its Slack message (JSON) to DIR, posting nothing. Without
 * --sandbox it reads the local state; with it, it plays a sandbox week first (see the README).
 */
export async function digestCommand(argv: readonly string[], io: Io): Promise<number> {
  const sb = takeOptionalValue(argv, '--sandbox');
  const { values } = parseArgs({
    args: sb.rest,
    options: { config: { type: 'string', short: 'c' }, out: { type: 'string' }, 'state-dir': { type: 'string' } },
    allowPositionals: false,
    strict: true,
  });
  if (!values.out) throw new UsageError('--out DIR is required: where the charts (PNG) and the message (digest.json) are written');
  const outDir = resolve(io.cwd, values.out);
  const configPath = values.config ? resolve(io.cwd, values.config) : await findPolicyFile(io.cwd);
  let policy: Policy | undefined;
  if (configPath) {
    const loaded = await loadPolicy(configPath);
    policy = loaded.policy;
    for (const w of loaded.warnings) io.stderr.write(`warning: ${formatProblem(w)}\n`);
  }
  if (!sb.present && !policy) throw new UsageError('no costwatch.yml found: give --config FILE, or --sandbox to see a digest of the sandbox world');

  let sandbox: Sandbox | undefined;
  let store: StateStore;
  let clock: Clock = systemClock;
  const notes: string[] = [];
  if (sb.present) {
    const worldPath = sb.value ? resolve(io.cwd, sb.value) : SAMPLE_WORLD_PATH;
    const world = await loadWorld(worldPath);
    policy ??= defaultPolicyFor(worldScopes(world), world.policy);
    sandbox = await startSandbox({ world });
    clock = sandbox.clock;
    store = values['state-dir'] ? await openEmbeddedStore({ dir: resolve(io.cwd, values['state-dir']) }) : await openMemoryStore();
  } else {
    store = await openEmbeddedStore({ dir: values['state-dir'] ? resolve(io.cwd, values['state-dir']) : resolve(io.cwd, '.costwatch', 'state') });
  }
  try {
    if (sandbox) notes.push(...(await playSandboxWeek(policy!, sandbox, store)));
    const scopes = policyScopes(policy!).map((t) => t.scope);
    const now = clock.now();
    const t0 = performance.now();
    const { model, charts, notes: forecastNotes, message } = await renderDigest(store, scopes, now, undefined, { aiServices: policy!.rules['untagged-spend'].services });
    const renderMs = Math.round(performance.now() - t0);
    await mkdir(outDir, { recursive: true });
    for (const c of charts) await writeFile(join(outDir, c.name), c.png);
    const json = {
      schema: 'costwatch.digest/v1',
      now: now.toISOString(),
      week: { start: model.week.start.toISOString(), end: model.week.end.toISOString() },
      charts: charts.map((c) => ({ file: c.name, title: c.title, altText: c.altText })),
      forecasts: forecastNotes,
      realized: {
        week: model.total.realizedWeek,
        month: model.total.realizedMonth,
        entries: model.savings.map((e) => entryJson(e, now, model.week)),
      },
      message,
    };
    await writeFile(join(outDir, 'digest.json'), `${JSON.stringify(json, null, 2)}\n`);
    for (const n of notes) io.stdout.write(`${n}\n`);
    io.stdout.write(`${message.text}\n`);
    for (const e of model.savings) io.stdout.write(`  ${e.resource.name}: ${formatMoney(e.hourly, 4)}/h × ${Math.round(hoursOff(e, now, model.week) * 100) / 100} h off = ${formatMoney(realized(e, now, model.week))}\n`);
    io.stdout.write(`wrote ${charts.map((c) => c.name).join(', ')} and digest.json to ${outDir} (${charts.length} charts rendered in ${renderMs} ms)\n`);
    return EXIT.ok;
  } finally {
    await store.close();
    await sandbox?.close();
  }
}

/**
 * A week in the sandbox, so the digest has something to show: a scan at the world's time, every
 * proposal approved (as `cli:sandbox-digest`) and executed, SANDBOX_DIGEST_HOURS of world time,
 * and a second scan (which closes savings of anything found running again).
 */
async function playSandboxWeek(policy: Policy, sandbox: Sandbox, store: StateStore): Promise<string[]> {
  const providers = await cliProviders(policy, sandbox);
  const options = scanOptionsFor(policy, { now: () => sandbox.clock.now(), dryRun: false });
  const prices = priceBook(policy);
  const first = await runScan(options, { providers, store, clock: sandbox.clock, prices });
  const deps = { store, providers, rules: new Map(options.rules.map((r) => [r.rule.id, r])), policy: options.policy, prices, clock: sandbox.clock, lookbackHours: options.lookbackHours };
  let executed = first.executions.filter((e) => e.outcome === 'executed').length;
  for (const p of first.proposals) {
    if (p.status !== 'proposed') continue;
    await store.decide({ proposalId: p.id, verdict: 'approve', by: SANDBOX_DIGEST_ACTOR, at: sandbox.clock.now(), via: 'cli' });
    await store.transitionProposal(p.id, ['proposed'], 'approved', { at: sandbox.clock.now() });
    if ((await executeProposal(p.id, SANDBOX_DIGEST_ACTOR, deps)).outcome === 'executed') executed++;
  }
  const actedAt = sandbox.clock.now();
  sandbox.clock.advance(SANDBOX_DIGEST_HOURS * 3_600_000);
  await runScan(options, { providers, store, clock: sandbox.clock, prices });
  return [
    `sandbox week: scanned at ${actedAt.toISOString()}, approved and executed ${executed} action${executed === 1 ? '' : 's'} as ${SANDBOX_DIGEST_ACTOR}, scanned again ${SANDBOX_DIGEST_HOURS} h later (${sandbox.clock.now().toISOString()}) — nothing real is touched`,
  ];
}
