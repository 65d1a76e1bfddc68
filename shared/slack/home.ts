import type { KnownBlock } from '@slack/types';
import { actionDefinition } from '../actions/index.js';
import type { Clock } from '../clock.js';
import { formatMoney } from '../domain/money.js';
import type { Cloud, Scope } from '../domain/resource.js';
import { buildDigestModel } from '../report/digest.js';
import type { StateStore } from '../store/port.js';
import { ACTION_IDS, SNOOZE_HOURS } from './action-ids.js';
import type { HomeView, SlackApi } from './api.js';
import { ApproverLookupError, type ApproverCheck } from './approvers.js';
import { actions, button, context, divider, escapeMrkdwn, header, section, viewBlocks } from './block-kit.js';
import { proposalButtons, slackDate } from './blocks.js';
import { budgetText, moneyList } from './digest-blocks.js';

const CLOUD_NAMES: Readonly<Record<Cloud, string>> = { aws: 'AWS', gcp: 'Google Cloud', azure: 'Azure' };

/** Proposals listed in one App Home (each takes two blocks of the view's 100). */
export const HOME_PROPOSALS = 30;

/** What an App Home needs. */
export interface HomeDeps {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly approvers: ApproverCheck;
  /** The scopes the policy watches, for spend and budgets. */
  readonly scopes: readonly Scope[];
}

/** The short name of a resource id (`…/endpoint/fraud-v3` → `fraud-v3`). */
function shortName(resourceId: string): string {
  return resourceId.split(/[/:]/).filter(Boolean).at(-1) ?? resourceId;
}

/**
 * One person's App Home: the approvals waiting that they may act on (approvers get Approve, Snooze
 * and Exempt — the buttons of the alerts, through the same handler; anyone may Snooze), spend
 * against budget per cloud, this month's realized savings, and their snoozes and exemptions with a
 * button to lift each.
 */
export async function homeView(user: string, deps: HomeDeps, notice?: string): Promise<HomeView> {
  const now = deps.clock.now();
  let approver: boolean | undefined;
  try {
    approver = await deps.approvers.isApprover(user);
  } catch (err) {
    if (!(err instanceof ApproverLookupError)) throw err;
  }
  const [model, snoozes, exemptions] = await Promise.all([buildDigestModel(deps.store, deps.scopes, now), deps.store.activeSnoozes(now), deps.store.activeExemptions(now)]);
  const blocks: KnownBlock[] = [header('costwatch'), ...(notice ? [section(`:information_source: ${notice}`)] : [])];

  blocks.push(section(`*Approvals waiting* (${model.pending.length})`));
  if (model.pending.length === 0) blocks.push(context('Nothing waits for a decision.'));
  else if (approver === false) blocks.push(context('You are not a costwatch approver: you can snooze these; an approver decides them.'));
  else if (approver === undefined) blocks.push(context('costwatch could not check your approver membership with Slack just now: only Snooze is shown. Open the App Home again in a minute.'));
  model.pending.slice(0, HOME_PROPOSALS).forEach((p, i) => {
    const saving = p.monthlySaving ? ` — ~${formatMoney(p.monthlySaving)}/month` : '';
    blocks.push(section(`${escapeMrkdwn(actionDefinition(p.kind).label)} \`${escapeMrkdwn(p.resource.name)}\` (${CLOUD_NAMES[p.resource.cloud]}, ${escapeMrkdwn(p.resource.scopeId)}, ${escapeMrkdwn(p.resource.region)})${saving}; waits until ${slackDate(p.expiresAt)}`));
    const buttons = approver ? proposalButtons(p) : proposalButtons(p).filter((b) => b.action_id === ACTION_IDS.snooze);
    blocks.push(actions(`costwatch-home-proposal-${i}`, buttons));
  });
  if (model.pending.length > HOME_PROPOSALS) blocks.push(context(`${model.pending.length - HOME_PROPOSALS} more: see their alerts in the channel.`));

  blocks.push(divider(), section('*Spend this month against budget*'));
  if (model.clouds.length === 0) blocks.push(context('No cloud is watched yet.'));
  for (const c of model.clouds) {
    const lines = [`*${CLOUD_NAMES[c.cloud]}*: ${moneyList(c.spendMonth)} month to date${c.costsThrough ? ` (through ${c.costsThrough})` : ' (no cost data recorded yet)'}`, ...c.budgets.map((b) => `• ${budgetText(b)}`)];
    blocks.push(section(lines.join('\n')));
  }
  for (const b of model.sharedBudgets) blocks.push(section(`• ${budgetText(b)}`));

  blocks.push(divider(), section(`*Realized savings this month*: ${moneyList(model.total.realizedMonth)}`));
  const perCloud = model.clouds.filter((c) => c.realizedMonth.some((m) => m.amount > 0)).map((c) => `${CLOUD_NAMES[c.cloud]} ${moneyList(c.realizedMonth)}`);
  blocks.push(context(`${perCloud.length > 0 ? `${perCloud.join(' · ')}. ` : ''}Hourly rate stopped × hours off; \`costwatch savings\` shows the arithmetic.`));

  const mine = snoozes.filter((s) => s.by === user);
  const myExemptions = exemptions.filter((e) => e.by === user);
  blocks.push(divider(), section(`*Your snoozes and exemptions* (${mine.length + myExemptions.length})`));
  if (mine.length + myExemptions.length === 0) blocks.push(context(`None. Snooze holds a resource back for ${SNOOZE_HOURS} h; Exempt keeps costwatch from acting on it.`));
  mine.forEach((s, i) => {
    blocks.push(section(`:zzz: \`${escapeMrkdwn(shortName(s.resourceId))}\` snoozed until ${slackDate(s.until)}`));
    blocks.push(actions(`costwatch-home-snooze-${i}`, [button({ actionId: ACTION_IDS.liftSnooze, label: 'Lift snooze', value: s.resourceId })]));
  });
  myExemptions.forEach((e, i) => {
    blocks.push(section(`:shield: \`${escapeMrkdwn(shortName(e.resourceId))}\` exempt${e.expiresAt ? ` until ${slackDate(e.expiresAt)}` : ''}: ${escapeMrkdwn(e.reason)}`));
    blocks.push(
      actions(`costwatch-home-exemption-${i}`, [
        button({
          actionId: ACTION_IDS.liftExemption,
          label: 'Lift exemption',
          value: e.resourceId,
          confirm: { title: 'Lift the exemption?', text: `costwatch may propose actions on ${shortName(e.resourceId)} again from its next scan.`, confirm: 'Lift', deny: 'Cancel' },
        }),
      ]),
    );
  });
  blocks.push(context(`Updated ${slackDate(now)}.`));
  return { type: 'home', callback_id: 'costwatch-home', blocks: viewBlocks(blocks) };
}

/** Builds and publishes one person's App Home. */
export async function publishHome(user: string, deps: HomeDeps & { api: SlackApi }, notice?: string): Promise<void> {
  await deps.api.publishHome({ user, view: await homeView(user, deps, notice) });
}
