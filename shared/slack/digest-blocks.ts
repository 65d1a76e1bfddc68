import type { KnownBlock } from '@slack/types';
import { actionDefinition } from '../actions/index.js';
import { formatMoney, type Money } from '../domain/money.js';
import type { Cloud } from '../domain/resource.js';
import type { BudgetLine } from '../report/spend.js';
import type { CloudDigest, DigestModel, Mover } from '../report/digest.js';
import { DIGEST_PROPOSALS } from '../report/digest.js';
import { actions, context, divider, escapeMrkdwn, header, image, message, section, type SlackMessage } from './block-kit.js';
import { proposalButtons } from './blocks.js';

const CLOUD_NAMES: Readonly<Record<Cloud, string>> = { aws: 'AWS', gcp: 'Google Cloud', azure: 'Azure' };

/** A chart uploaded to Slack, ready to show in an image block. */
export interface UploadedChart {
  readonly fileId: string;
  readonly title: string;
  readonly altText: string;
}

/** Amounts per currency, `$1,234.56 + 99.00 EUR`; never added across currencies. */
export function moneyList(ms: readonly Money[]): string {
  return ms.length === 0 ? 'none' : ms.map((m) => formatMoney(m)).join(' + ');
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** `sagemaker-prod: $10,200.00 of $12,000.00 (85%), forecast $18,000.00 (150%)`. */
export function budgetText(b: BudgetLine): string {
  const pct = (m: Money | undefined) => (m && m.currency === b.limit.currency && b.limit.amount > 0 ? ` (${Math.round((m.amount / b.limit.amount) * 100)}%)` : '');
  const actual = b.actual ? `${formatMoney(b.actual)} of ${formatMoney(b.limit)}${pct(b.actual)}` : `limit ${formatMoney(b.limit)}, spend unknown`;
  return `${escapeMrkdwn(b.name)}: ${actual}${b.forecast ? `, forecast ${formatMoney(b.forecast)}${pct(b.forecast)}` : ''}`;
}

function moverText(m: Mover): string {
  const delta = m.thisWeek - m.lastWeek;
  const sign = delta >= 0 ? '+' : '−';
  return `${escapeMrkdwn(m.key)} ${sign}${formatMoney({ amount: Math.abs(delta), currency: m.currency })} (${formatMoney({ amount: m.thisWeek, currency: m.currency })} vs ${formatMoney({ amount: m.lastWeek, currency: m.currency })})`;
}

function cloudBlocks(c: CloudDigest): KnownBlock[] {
  const lines = [
    `*${CLOUD_NAMES[c.cloud]}*`,
    `Spend: ${moneyList(c.spendWeek)} this week, ${moneyList(c.spendMonth)} month to date${c.costsThrough ? ` (cost data through ${c.costsThrough})` : ' (no cost data recorded)'}`,
    ...c.budgets.map((b) => `• ${budgetText(b)}`),
    `Realized savings: ${moneyList(c.realizedWeek)} this week, ${moneyList(c.realizedMonth)} this month`,
    `Findings: ${c.findingsOpened} opened, ${c.findingsResolved} resolved · Actions: ${c.actionsTaken} taken, ${c.actionsUndone} undone · ${c.pending} waiting for approval`,
    ...(c.untagged ?? []).map(
      (u) => `AI spend without a team tag this month: ${formatMoney({ amount: u.untagged, currency: u.currency })} of ${formatMoney({ amount: u.total, currency: u.currency })} (${Math.round((u.untagged / u.total) * 1000) / 10}%)`,
    ),
  ];
  const movers = [
    ...(c.movers.services.length > 0 ? [`Top movers by service: ${c.movers.services.map(moverText).join('; ')}`] : []),
    ...(c.movers.teams.length > 0 ? [`Top movers by team: ${c.movers.teams.map(moverText).join('; ')}`] : []),
  ];
  if (movers.length === 0 && c.costsThrough) movers.push('No service or team spent more than a cent more or less than the week before.');
  return [section(lines.join('\n')), ...(movers.length > 0 ? [context(...movers)] : [])];
}

/**
 * The weekly digest: per cloud and in total, spend against budgets and forecasts, top movers,
 * findings and actions, realized savings (rate × hours off, from the ledger), the charts, and the
 * proposals waiting for approval with the same buttons as their alerts.
 */
export function digestMessage(model: DigestModel, charts: readonly UploadedChart[] = []): SlackMessage {
  const range = `${day(model.week.start)} – ${day(new Date(model.week.end.getTime() - 1))}`;
  const t = model.total;
  const blocks: KnownBlock[] = [
    header(`costwatch weekly digest, ${range}`),
    section(undefined, [
      `*Spend this week*\n${moneyList(t.spendWeek)}`,
      `*Spend month to date*\n${moneyList(t.spendMonth)}`,
      `*Realized savings this week*\n${moneyList(t.realizedWeek)}`,
      `*Realized savings this month*\n${moneyList(t.realizedMonth)}`,
      `*Findings*\n${t.findingsOpened} opened, ${t.findingsResolved} resolved`,
      `*Actions*\n${t.actionsTaken} taken, ${t.actionsUndone} undone`,
    ]),
    ...(model.sharedBudgets.length > 0 ? [section(`*Budgets across clouds*\n${model.sharedBudgets.map((b) => `• ${budgetText(b)}`).join('\n')}`)] : []),
    divider(),
    ...model.clouds.flatMap(cloudBlocks),
    ...charts.map((c) => image(c.fileId, c.altText, c.title)),
  ];
  const shown = model.pending.slice(0, DIGEST_PROPOSALS);
  if (shown.length > 0) {
    blocks.push(divider(), section(`*Waiting for approval* (${model.pending.length})`));
    shown.forEach((p, i) => {
      const saving = p.monthlySaving ? ` — ~${formatMoney(p.monthlySaving)}/month` : '';
      blocks.push(section(`${escapeMrkdwn(actionDefinition(p.kind).label)} \`${escapeMrkdwn(p.resource.name)}\` (${CLOUD_NAMES[p.resource.cloud]}, ${escapeMrkdwn(p.resource.region)})${saving}`));
      blocks.push(actions(`costwatch-digest-${i}`, proposalButtons(p)));
    });
    if (model.pending.length > shown.length) blocks.push(context(`${model.pending.length - shown.length} more waiting: see their alerts, or your costwatch App Home.`));
  }
  blocks.push(context('Realized savings = the hourly rate each action stopped × the hours the resource stayed off (until undone, re-created or found running again); `costwatch savings` shows each line with its arithmetic. Amounts in different currencies are never added.'));
  return message(`costwatch weekly digest ${range}: spend ${moneyList(t.spendWeek)} this week; realized savings ${moneyList(t.realizedWeek)} this week, ${moneyList(t.realizedMonth)} this month`, blocks);
}
