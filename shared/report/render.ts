import { isMonthlyWaste, wasteUnit, type Finding } from '../domain/finding.js';
import { formatMoney, totalsByCurrency } from '../domain/money.js';
import type { ScanReport } from '../pipeline/scan.js';
import { ADVICE_RULE_IDS } from '../rules/index.js';

const CLOUD_NAMES = { aws: 'AWS', gcp: 'Google Cloud', azure: 'Azure' } as const;

/** A scan report as plain text for a terminal: grouped by cloud and scope, waste per finding and in total. */
export function renderText(report: ScanReport, opts: { color?: boolean } = {}): string {
  const c = palette(opts.color ?? false);
  const lines: string[] = [];
  const resources = report.scopes.reduce((s, x) => s + x.resources, 0);
  const secs = (report.durationMs / 1000).toFixed(1);
  lines.push(
    c.bold(`costwatch scan${report.dryRun ? ' (dry run: nothing will be changed)' : ''}`) +
      ` — ${report.scopes.length} scope${report.scopes.length === 1 ? '' : 's'}, ${resources} resources, ${secs} s, at ${report.startedAt.toISOString()}`,
  );
  const byScope = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const k = `${f.cloud}\u0000${f.scopeId}`;
    byScope.set(k, [...(byScope.get(k) ?? []), f]);
  }
  const proposalsByFinding = new Map(report.proposals.map((p) => [p.findingId, p]));
  const skipByFinding = new Map(report.skipped.map((s) => [s.findingId, s.reason]));
  const execByProposal = new Map(report.executions.map((e) => [e.proposalId, e]));

  // Budgets spanning several scopes are filed under none of them; they get a section of their own.
  const scanned = new Set(report.scopes.map((s) => `${s.target.scope.cloud}\u0000${s.target.scope.id}`));
  const across = report.findings.filter((f) => !scanned.has(`${f.cloud}\u0000${f.scopeId}`));
  const sections = [
    ...report.scopes.map((s) => ({
      heading: c.bold(`${CLOUD_NAMES[s.target.scope.cloud]} ${s.target.scope.name ? `${s.target.scope.name} (${s.target.scope.id})` : s.target.scope.id}`) + c.dim(` — ${s.target.regions.join(', ')}; ${s.resources} resources`),
      fs: byScope.get(`${s.target.scope.cloud}\u0000${s.target.scope.id}`) ?? [],
    })),
    ...(across.length > 0 ? [{ heading: c.bold('Across scopes') + c.dim(' — budgets spanning accounts or clouds'), fs: across }] : []),
  ];
  for (const section of sections) {
    const fs = [...section.fs].sort(order);
    lines.push('');
    lines.push(section.heading);
    if (fs.length === 0) {
      lines.push(c.dim('  no findings'));
      continue;
    }
    for (const f of fs) {
      const tag =
        f.state === 'violation' && f.budget
          ? c.red(f.budget.kind === 'anomaly' ? 'ANOMALY' : f.budget.kind === 'forecast' ? 'FORECAST' : 'BUDGET')
          : f.state === 'violation' && ADVICE_RULE_IDS.includes(f.ruleId)
            ? c.yellow('ADVICE')
            : f.state === 'violation'
            ? c.red('WASTE')
            : f.state === 'unknown'
              ? c.yellow('UNKNOWN')
              : c.red('FAILED');
      const waste = f.waste ? ` — ${c.bold(`~${formatMoney(f.waste.monthly)}${wasteUnit(f.waste)}`)}` : '';
      lines.push(`  ${tag} ${f.title}${f.region ? c.dim(` [${f.region}]`) : ''}${waste}`);
      if (f.waste) lines.push(c.dim(`      ${f.waste.arithmetic} (${f.waste.priceSource})`));
      for (const e of f.evidence) lines.push(c.dim(`      · ${e}`));
      if (f.confidence) lines.push(c.dim(`      confidence: ${f.confidence}`));
      const p = proposalsByFinding.get(f.id);
      if (p) {
        const ex = execByProposal.get(p.id);
        const how = p.mode === 'auto' ? 'automatic' : 'needs approval';
        lines.push(`      → ${p.kind} (${how}${p.modeReason ? `: ${p.modeReason}` : ''}; ${p.status}${p.reversible ? ', undoable' : ', not undoable'})`);
        if (ex) lines.push(`        ${ex.outcome}: ${ex.detail}`);
      } else if (skipByFinding.has(f.id)) {
        lines.push(c.dim(`      → no action: ${skipByFinding.get(f.id)}`));
      }
    }
  }
  lines.push('');
  // One line per resource: its first reason (several rules often skip it for the same cause).
  const nj = [...new Map(report.stats.notJudged.map((n) => [n.resource, n])).values()];
  if (nj.length > 0) {
    const shown = nj.slice(0, 5).map((n) => `${n.resource} (${n.reason})`).join('; ');
    lines.push(c.dim(`Not judged: ${shown}${nj.length > 5 ? `; and ${nj.length - 5} more (see --json)` : ''}`));
  }
  const violations = report.findings.filter((f) => f.state === 'violation' && !f.budget && !ADVICE_RULE_IDS.includes(f.ruleId));
  const advice = report.findings.filter((f) => f.state === 'violation' && ADVICE_RULE_IDS.includes(f.ruleId)).length;
  const alerts = report.findings.filter((f) => f.state === 'violation' && f.budget).length;
  const unknown = report.findings.filter((f) => f.state === 'unknown').length;
  const failures = report.findings.filter((f) => f.state === 'failure').length;
  const total = totalsByCurrency(violations.flatMap((f) => (f.waste && isMonthlyWaste(f.waste) ? [f.waste.monthly] : [])));
  lines.push(
    c.bold(
      `Total: ${violations.length} wasteful resource${violations.length === 1 ? '' : 's'}` +
        (total.length ? `, ~${total.map((m) => formatMoney(m)).join(' + ')}/month` : '') +
        (alerts > 0 ? `; ${alerts} budget, forecast and anomaly alert${alerts === 1 ? '' : 's'}` : '') +
        (advice > 0 ? `; ${advice} advice finding${advice === 1 ? '' : 's'} (spot, tags, commitments)` : '') +
        `; ${unknown} unknown; ${failures} collection failure${failures === 1 ? '' : 's'}; ${report.proposals.length} proposed action${report.proposals.length === 1 ? '' : 's'}`,
    ),
  );
  return lines.join('\n');
}

/** The report as plain JSON (dates as ISO strings), stable for machines. */
export function reportJson(report: ScanReport): unknown {
  return JSON.parse(JSON.stringify({ schema: 'costwatch.scan/v1', ...report }));
}

function order(a: Finding, b: Finding): number {
  const rank = { failure: 0, violation: 1, unknown: 2 } as const;
  return rank[a.state] - rank[b.state] || (b.waste?.monthly.amount ?? 0) - (a.waste?.monthly.amount ?? 0) || a.title.localeCompare(b.title);
}

function palette(on: boolean) {
  const wrap = (code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: wrap('1'), dim: wrap('2'), red: wrap('31'), yellow: wrap('33') };
}
