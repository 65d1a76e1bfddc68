import type { Button, KnownBlock } from '@slack/types';
import { actionDefinition, ACTIONS } from '../actions/index.js';
import type { Mode, ProposedAction } from '../domain/action.js';
import { wasteUnit, type CostDriver, type Finding, type WasteEstimate } from '../domain/finding.js';
import { formatMoney, type Money } from '../domain/money.js';
import type { Cloud } from '../domain/resource.js';
import { ACTION_IDS, SNOOZE_HOURS } from './action-ids.js';
import { actions, button, context, escapeMrkdwn, fitsButtonUrl, header, message, section, type SlackMessage } from './block-kit.js';
import { consoleUrl, scopeConsoleUrl } from './console-url.js';
import { alertStatus, type AlertStatus, type AlertView } from './view.js';

/** Block id of the buttons of an alert; fixed, since the proposal id travels in each button's value. */
export const ALERT_ACTIONS_BLOCK_ID = 'costwatch-actions';

const CLOUD_NAMES: Readonly<Record<Cloud, string>> = { aws: 'AWS', gcp: 'Google Cloud', azure: 'Azure' };
const SCOPE_NOUNS: Readonly<Record<Cloud, string>> = { aws: 'Account', gcp: 'Project', azure: 'Subscription' };
const BUDGET_SOURCES: Readonly<Record<string, string>> = {
  config: 'costwatch.yml budget',
  'aws-budgets': 'AWS Budgets',
  'aws-anomaly': 'AWS Cost Anomaly Detection',
  'gcp-budget': 'Google Cloud budget',
  'azure-budget': 'Azure Cost Management budget',
};
const STATUS_EMOJI: Readonly<Record<AlertStatus, string>> = {
  failure: ':warning:',
  unknown: ':grey_question:',
  budget: ':rotating_light:',
  notify: ':money_with_wings:',
  snoozed: ':zzz:',
  exempt: ':shield:',
  proposed: ':money_with_wings:',
  expired: ':hourglass:',
  approved: ':gear:',
  executing: ':gear:',
  executed: ':white_check_mark:',
  undoing: ':rewind:',
  undone: ':leftwards_arrow_with_hook:',
  cancelled: ':no_entry_sign:',
  rejected: ':no_entry_sign:',
  failed: ':x:',
};

/** `<!date^…>` so each reader sees the time in their own zone; the ISO time is the fallback. */
export function slackDate(d: Date): string {
  const iso = `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(d.getTime() / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

/** `<@U123>` for a Slack user, words for costwatch's own actors (`policy`, `cli:…`). */
export function actorText(by: string | undefined): string {
  if (!by) return 'someone';
  if (by === 'policy') return 'costwatch (auto mode)';
  if (by === 'costwatch') return 'costwatch';
  if (by.startsWith('cli:')) return `${escapeMrkdwn(by.slice(4))} (CLI)`;
  return /^[UW][A-Z0-9]+$/.test(by) ? `<@${by}>` : escapeMrkdwn(by);
}

function wasteText(w: WasteEstimate): string {
  return `~${formatMoney(w.monthly)}${wasteUnit(w)}`;
}

function perMonth(m: Money | undefined): string {
  return m ? `~${formatMoney(m)}/month` : 'unknown';
}

function actionLabel(kind: string): string {
  return ACTIONS.find((a) => a.kind === kind)?.label ?? kind;
}

function scopeText(cloud: Cloud, scopeId: string, name?: string): string {
  return name ? `${escapeMrkdwn(name)} (${escapeMrkdwn(scopeId)})` : escapeMrkdwn(scopeId);
}

function bullets(lines: readonly string[]): string {
  return lines.map((l) => `• ${escapeMrkdwn(l)}`).join('\n');
}

function modeText(v: AlertView): string {
  const p = v.proposal;
  const mode: Mode | undefined = p?.mode ?? v.ruleMode;
  const words: Record<Mode, string> = { notify: 'notify — report only', approve: 'approve — acts after an approver clicks Approve', auto: 'auto — acts without asking' };
  if (!mode) return 'report only';
  if (mode === 'auto' && p?.dueAt) return `auto — asks first, acts if nobody answers by ${slackDate(p.dueAt)}`;
  return p?.modeReason ? `${words[mode]} (${escapeMrkdwn(p.modeReason)})` : words[mode];
}

/** The status line of a resource alert: what is happening now, who did it and when. */
function statusText(v: AlertView): string {
  const p = v.proposal;
  const d = v.decision;
  const ev = v.event;
  const status = alertStatus(v);
  const label = p ? actionLabel(p.kind) : '';
  const when = (at: Date | undefined) => (at ? ` at ${slackDate(at)}` : '');
  switch (status) {
    case 'proposed':
      if (actionDefinition(p!.kind).guard) {
        return p!.dueAt
          ? `:raising_hand: *Keep it?* Approve keeps it; without an answer by ${slackDate(p!.dueAt)} costwatch will ${label.toLowerCase()} (auto mode).`
          : `:raising_hand: *Keep it?* Approve keeps it, Stop will ${label.toLowerCase()}; waits for an approver until ${slackDate(p!.expiresAt)}.`;
      }
      return `:hourglass_flowing_sand: *${label}* waits for an approver until ${slackDate(p!.expiresAt)}.`;
    case 'expired':
      return `:hourglass: *Expired*: nobody decided by ${slackDate(p!.expiresAt)}. costwatch proposes it again at its next scan if it still applies.`;
    case 'approved':
    case 'executing':
      return `:gear: *Approved* by ${actorText(d?.by)}${when(d?.at)} — ${label.toLowerCase()} in progress…`;
    case 'executed':
      return [
        `:white_check_mark: *${label}* done${d ? `, approved by ${actorText(d.by)}` : ''}${when(ev?.at ?? d?.at)}.`,
        ev ? `What changed: ${escapeMrkdwn(ev.detail)}` : undefined,
        p?.monthlySaving ? `Saving: *${perMonth(p.monthlySaving)}*.` : undefined,
        p?.reversible ? 'Changed your mind? *Undo* restores it.' : undefined,
      ]
        .filter(Boolean)
        .join('\n');
    case 'undoing':
      return `:rewind: *Undo* in progress${ev?.by ? `, requested by ${actorText(ev.by)}` : ''}…`;
    case 'undone':
      return `:leftwards_arrow_with_hook: *Undone* by ${actorText(ev?.by)}${when(ev?.at)}${ev ? `: ${escapeMrkdwn(ev.detail)}` : ''}. It is not proposed again for a week.`;
    case 'cancelled':
      return `:no_entry_sign: *Cancelled*${ev ? `: ${escapeMrkdwn(ev.detail)}` : ''}. Nothing was changed.`;
    case 'failed':
      return `:x: *Failed*${ev ? `: ${escapeMrkdwn(ev.detail)}` : ''}.`;
    case 'snoozed': {
      const by = d?.verdict === 'snooze' ? d.by : v.snooze?.by;
      const until = d?.verdict === 'snooze' ? new Date(d.at.getTime() + SNOOZE_HOURS * 3600_000) : v.snooze?.until;
      return `:zzz: *Snoozed* by ${actorText(by)}${until ? ` until ${slackDate(until)}` : ''}.`;
    }
    case 'exempt': {
      const by = d?.verdict === 'exempt' ? d.by : v.exemption?.by;
      return `:shield: *Exempted* by ${actorText(by)}: costwatch reports it but never acts on it.`;
    }
    case 'rejected':
      if (p && actionDefinition(p.kind).guard && d?.verdict === 'reject') return `:white_check_mark: *Approved* by ${actorText(d.by)}${when(d.at)}: kept; costwatch does not ask about it again.`;
      return `:no_entry_sign: *Declined* by ${actorText(d?.by)}${when(d?.at)}.`;
    case 'unknown':
      return ':grey_question: Usage is unknown, so costwatch does not act on it.';
    case 'notify':
      return ':information_source: Reported only; no action is proposed.';
    default:
      return '';
  }
}

function consoleButton(url: string | undefined): Button[] {
  return url && fitsButtonUrl(url) ? [button({ actionId: ACTION_IDS.openConsole, label: 'Open in console', url })] : [];
}

/** An action's plain warning, first in its approval dialog (where Slack cuts the text at 300 characters). */
function actionWarning(kind: string): string {
  const w = ACTIONS.find((a) => a.kind === kind)?.warning;
  return w ? `${w} ` : '';
}

/** Approve, Snooze and Exempt for a proposal waiting for a decision: the same buttons wherever they are shown (alert, digest, App Home). */
export function proposalButtons(p: ProposedAction): Button[] {
  const label = actionLabel(p.kind);
  const name = p.resource.name;
  if (actionDefinition(p.kind).guard) {
    // A guard asks "keep it?": Approve keeps the resource, Stop acts.
    return [
      button({ actionId: ACTION_IDS.keep, label: 'Approve: keep it', value: p.id, style: 'primary' }),
      button({
        actionId: ACTION_IDS.approve,
        label: `Stop: ${label.toLowerCase()}`,
        value: p.id,
        style: 'danger',
        confirm: {
          title: `${label}?`,
          text: `${label} ${name}${p.monthlySaving ? ` (it costs ${perMonth(p.monthlySaving)})` : ''}. ${p.reversible ? 'Undo stays available.' : 'This cannot be undone.'}`,
          confirm: label,
          deny: 'Cancel',
        },
      }),
    ];
  }
  return [
    button({
      actionId: ACTION_IDS.approve,
      label: `Approve: ${label.toLowerCase()}`,
      value: p.id,
      style: 'primary',
      confirm: {
        title: `${label}?`,
        text: `${actionWarning(p.kind)}${label} ${name}${p.monthlySaving ? ` to save ${perMonth(p.monthlySaving)}` : ''}. ${p.reversible ? 'Undo stays available.' : 'This cannot be undone.'}`,
        confirm: label,
        deny: 'Cancel',
      },
    }),
    button({ actionId: ACTION_IDS.snooze, label: `Snooze ${SNOOZE_HOURS} h`, value: p.id }),
    button({
      actionId: ACTION_IDS.exempt,
      label: 'Exempt',
      value: p.id,
      confirm: { title: 'Exempt this resource?', text: `costwatch will keep reporting ${name} but never act on it.`, confirm: 'Exempt', deny: 'Cancel' },
    }),
  ];
}

function alertButtons(v: AlertView): Button[] {
  const p = v.proposal;
  const status = alertStatus(v);
  const url = v.finding.resource ? consoleUrl(v.finding.resource) : scopeConsoleUrl(v.finding.cloud, v.finding.scopeId);
  if (p && status === 'proposed') return [...proposalButtons(p), ...consoleButton(url)];
  if (p && status === 'executed' && p.reversible && p.undoData) {
    return [
      button({
        actionId: ACTION_IDS.undo,
        label: 'Undo',
        value: p.id,
        style: 'danger',
        confirm: { title: 'Undo?', text: `costwatch will ${actionDefinition(p.kind).undo}.`, confirm: 'Undo', deny: 'Cancel' },
      }),
      ...consoleButton(url),
    ];
  }
  return consoleButton(url);
}

function resourceMessage(v: AlertView): SlackMessage {
  const f = v.finding;
  const status = alertStatus(v);
  const r = f.resource;
  const fields = [
    `*Cloud*\n${CLOUD_NAMES[f.cloud]}`,
    `*${SCOPE_NOUNS[f.cloud]}*\n${scopeText(f.cloud, f.scopeId, v.scopeName)}`,
    ...(f.region ?? r?.region ? [`*Region*\n${escapeMrkdwn(f.region ?? r!.region)}`] : []),
    ...(r ? [`*Resource*\n\`${escapeMrkdwn(r.name)}\` (${escapeMrkdwn(r.kind)})`] : []),
    ...(f.waste ? [`*Waste*\n*${wasteText(f.waste)}*`] : []),
    `*Mode*\n${modeText(v)}`,
  ];
  const blocks: KnownBlock[] = [
    header(`${f.waste ? `${wasteText(f.waste)} — ` : ''}${f.title}`),
    section(undefined, fields),
  ];
  if (f.evidence.length > 0) blocks.push(section(`*Evidence*\n${bullets(f.evidence)}`));
  const facts = [
    f.waste ? `Arithmetic: ${escapeMrkdwn(f.waste.arithmetic)}` : '',
    f.waste ? `Prices: ${escapeMrkdwn(f.waste.priceSource)}` : '',
    f.confidence ? `Confidence: ${f.confidence}` : '',
    `Rule: \`${escapeMrkdwn(f.ruleId)}\``,
  ];
  blocks.push(context(...facts));
  const line = statusText(v);
  if (line) blocks.push(section(line));
  const buttons = alertButtons(v);
  if (buttons.length > 0) blocks.push(actions(ALERT_ACTIONS_BLOCK_ID, buttons));
  const where = `${CLOUD_NAMES[f.cloud]} ${f.scopeId}${f.region ? ` ${f.region}` : ''}`;
  const ask = status === 'proposed' ? ' — approval needed' : status === 'executed' ? ' — done' : '';
  return message(`${f.title} (${where})${f.waste ? `: ${wasteText(f.waste)}` : ''}${ask}`, blocks);
}

function failureMessage(v: AlertView): SlackMessage {
  const f = v.finding;
  const blocks: KnownBlock[] = [
    header(`Could not read: ${f.title}`),
    section(undefined, [`*Cloud*\n${CLOUD_NAMES[f.cloud]}`, `*${SCOPE_NOUNS[f.cloud]}*\n${scopeText(f.cloud, f.scopeId, v.scopeName)}`, ...(f.region ? [`*Region*\n${escapeMrkdwn(f.region)}`] : [])]),
    section(`*What failed*\n${bullets(f.evidence)}`),
    context(`Detected ${slackDate(f.detectedAt)} · other clouds and scopes are unaffected`),
    actions(ALERT_ACTIONS_BLOCK_ID, consoleButton(scopeConsoleUrl(f.cloud, f.scopeId))),
  ];
  return message(`costwatch ${f.title}`, blocks);
}

function percentOf(part: Money | undefined, whole: Money | undefined): number | undefined {
  if (!part || !whole || whole.amount <= 0 || part.currency !== whole.currency) return undefined;
  return Math.round((part.amount / whole.amount) * 100);
}

function driverLines(drivers: readonly CostDriver[], total: Money | undefined): string {
  return [...drivers]
    .sort((a, b) => b.amount.amount - a.amount.amount)
    .slice(0, 5)
    .map((d, i) => {
      const share = percentOf(d.amount, total);
      return `${i + 1}. ${escapeMrkdwn(d.key)} — ${formatMoney(d.amount)}${share === undefined ? '' : ` (${share}%)`}`;
    })
    .join('\n');
}

const DRIVER_TITLES: Readonly<Record<CostDriver['by'], string>> = {
  service: 'service',
  tag: 'tag',
  account: 'account / project / subscription',
  region: 'region',
  resource: 'resource',
};

function budgetMessage(v: AlertView): SlackMessage {
  const f = v.finding;
  const b = f.budget!;
  const used = percentOf(b.actual, b.limit);
  const forecastPct = percentOf(b.forecast, b.limit);
  const name = escapeMrkdwn(b.budgetName);
  const title =
    b.kind === 'anomaly'
      ? `Cost anomaly: ${b.budgetName}${b.actual ? ` — ${formatMoney(b.actual)}` : ''}`
      : b.kind === 'forecast'
        ? `Forecast over budget ${b.budgetName}: ${forecastPct ?? '?'}% of ${b.limit ? formatMoney(b.limit) : 'its limit'}`
        : `Budget ${b.budgetName}: ${used ?? '?'}% of ${b.limit ? formatMoney(b.limit) : 'its limit'} spent`;
  const fields = [
    `*Spent*\n${b.actual ? formatMoney(b.actual) : 'unknown'}`,
    `*Budget*\n${b.limit ? formatMoney(b.limit) : '—'}`,
    `*Forecast*\n${b.forecast ? `${formatMoney(b.forecast)}${forecastPct === undefined ? '' : ` (${forecastPct}%)`}` : 'not available'}`,
    `*Used*\n${used === undefined ? '—' : `${used}%`}`,
    `*Period*\n${b.period ? `${b.period.start.toISOString().slice(0, 10)} – ${new Date(b.period.end.getTime() - 1).toISOString().slice(0, 10)}` : '—'}`,
    `*Threshold*\n${b.thresholdPercent === undefined ? '—' : `${b.thresholdPercent}% (${b.kind})`}`,
    `*Source*\n${BUDGET_SOURCES[b.source] ?? escapeMrkdwn(b.source)}`,
    `*${SCOPE_NOUNS[f.cloud]}*\n${CLOUD_NAMES[f.cloud]} ${scopeText(f.cloud, f.scopeId, v.scopeName)}`,
  ];
  const blocks: KnownBlock[] = [header(title), section(undefined, fields)];
  for (const by of ['service', 'tag', 'account', 'region', 'resource'] as const) {
    const ds = b.drivers.filter((d) => d.by === by);
    if (ds.length > 0) blocks.push(section(`*Top cost drivers by ${DRIVER_TITLES[by]}*\n${driverLines(ds, b.actual)}`));
  }
  if (f.evidence.length > 0) blocks.push(context(...f.evidence.slice(0, 10).map(escapeMrkdwn)));
  const open = (v.related ?? []).filter((p) => p.status === 'proposed' && p.expiresAt > v.now);
  if (open.length > 0) {
    const lines = [...open]
      .sort((a, b) => (b.monthlySaving?.amount ?? 0) - (a.monthlySaving?.amount ?? 0))
      .slice(0, 10)
      .map((p) => `• ${actionLabel(p.kind)} \`${escapeMrkdwn(p.resource.name)}\` (${escapeMrkdwn(p.resource.region)}) — saves ${perMonth(p.monthlySaving)}; approve it in its own message`);
    blocks.push(section(`*Proposed actions*\n${lines.join('\n')}`));
  }
  blocks.push(actions(ALERT_ACTIONS_BLOCK_ID, consoleButton(scopeConsoleUrl(f.cloud, f.scopeId))));
  const summary =
    b.kind === 'anomaly'
      ? `Cost anomaly in ${name}`
      : `${b.kind === 'forecast' ? 'Forecast' : 'Spend'} for budget ${name} at ${(b.kind === 'forecast' ? forecastPct : used) ?? '?'}% of ${b.limit ? formatMoney(b.limit) : 'its limit'}`;
  return message(summary, blocks);
}

/** The message of a finding in its current state: a resource alert, a budget / forecast / anomaly alert, or a collection failure. */
export function alertMessage(v: AlertView): SlackMessage {
  if (v.finding.state === 'failure') return failureMessage(v);
  if (v.finding.budget) return budgetMessage(v);
  return resourceMessage(v);
}

/** The thread reply recording a change of state, so the message's history stays readable. */
export function historyLine(v: AlertView): string {
  const status = alertStatus(v);
  const p = v.proposal;
  const d = v.decision;
  const ev = v.event;
  const label = p ? actionLabel(p.kind) : '';
  const at = ev?.at ?? d?.at ?? v.now;
  const line = (() => {
    switch (status) {
      case 'proposed':
        return `Proposed: *${label}* (${p!.mode}), saving ${perMonth(p!.monthlySaving)}; open until ${slackDate(p!.expiresAt)}.`;
      case 'expired':
        return `Expired: nobody decided by ${slackDate(p!.expiresAt)}.`;
      case 'approved':
      case 'executing':
        return `Approved by ${actorText(d?.by)}; ${label.toLowerCase()} in progress.`;
      case 'executed':
        return `${label} done${ev ? `: ${escapeMrkdwn(ev.detail)}` : ''}. Saving ${perMonth(p?.monthlySaving)}.`;
      case 'undoing':
        return 'Undo in progress.';
      case 'undone':
        return `Undone by ${actorText(ev?.by)}${ev ? `: ${escapeMrkdwn(ev.detail)}` : ''}.`;
      case 'cancelled':
        return `Cancelled${ev ? `: ${escapeMrkdwn(ev.detail)}` : ''}. Nothing was changed.`;
      case 'failed':
        return `Failed${ev ? `: ${escapeMrkdwn(ev.detail)}` : ''}.`;
      case 'snoozed':
        return statusText(v).replace(/^:[a-z_]+: /, '');
      case 'exempt':
        return `Exempted by ${actorText(d?.verdict === 'exempt' ? d.by : v.exemption?.by)}.`;
      case 'rejected':
        return `Declined by ${actorText(d?.by)}.`;
      case 'budget': {
        const b = v.finding.budget!;
        return `${b.kind === 'anomaly' ? 'Anomaly updated' : `${b.kind === 'forecast' ? 'Forecast' : 'Spend'} crossed ${b.thresholdPercent ?? '?'}% of the budget`}.`;
      }
      default:
        return `Now: ${escapeMrkdwn(v.finding.title)}`;
    }
  })();
  return `${STATUS_EMOJI[status]} ${line} _(${slackDate(at)})_`;
}

/** Ephemeral replies to the person who clicked. */
export const REPLIES = {
  notApprover: (approvers: { users: readonly string[]; userGroups: readonly string[] }) => {
    const who = [...approvers.users.map((u) => `<@${u}>`), ...approvers.userGroups.map((g) => `<!subteam^${g}>`)];
    return `Only costwatch approvers can approve, undo or exempt${who.length > 0 ? `: ask ${who.join(', ')}` : ' (none are configured in costwatch.yml)'}. Nothing was changed.`;
  },
  membershipUnknown: () => 'costwatch could not check your user group membership with Slack just now; nothing was changed. Try again in a minute.',
  alreadyDecided: (d: { verdict: string; by: string; at: Date }) => `Already ${verdictWord(d.verdict)} by ${actorText(d.by)} ${slackDate(d.at)}. Nothing more was changed.`,
  notOpen: (status: string) => `This proposal is ${status}, so there is nothing to decide. Nothing was changed.`,
  expired: (at: Date) => `This proposal expired ${slackDate(at)}; costwatch proposes it again at its next scan if it still applies. Nothing was changed.`,
  unknownProposal: () => 'costwatch has no record of this proposal (it may be older than its retention). Nothing was changed.',
  cannotUndo: (why: string) => `Cannot undo: ${escapeMrkdwn(why)}.`,
  undoFailed: (why: string) => `Undo failed: ${escapeMrkdwn(why)}.`,
} as const;

function verdictWord(verdict: string): string {
  return ({ approve: 'approved', reject: 'declined', snooze: 'snoozed', exempt: 'exempted' } as Record<string, string>)[verdict] ?? verdict;
}

/** A title for an alert without its message, for lists (digest, budget messages). */
export function findingLine(f: Finding): string {
  return f.resource ? `${f.title} (${f.resource.region})` : f.title;
}

/** The open proposals a budget message lists: same cloud and scope. */
export function relatedProposals(f: Finding, proposals: Iterable<ProposedAction>): ProposedAction[] {
  return [...proposals].filter((p) => p.resource.cloud === f.cloud && p.resource.scopeId === f.scopeId);
}
