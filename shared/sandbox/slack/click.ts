import { createHmac } from 'node:crypto';
import { STUB_BOT, type SlackWorkspace } from './workspace.js';

/** A click the stub delivers the way Slack does: a signed, form-encoded `block_actions` request. */
export interface StubClick {
  readonly channel: string;
  readonly ts: string;
  readonly actionId: string;
  readonly user: string;
}

/** A request ready to send to an interactivity URL. */
export interface SignedInteraction {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly payload: Record<string, unknown>;
}

/**
 * Builds the `block_actions` payload of a click on a button of a message in the stub's
 * workspace (shape as Slack sends it; see test/fixtures/slack), form-encodes it and signs it.
 * Throws when the message or the button does not exist.
 */
export function signedClick(ws: SlackWorkspace, click: StubClick, signingSecret: string, now = new Date()): SignedInteraction {
  const msg = ws.message(click.channel, click.ts);
  if (!msg) throw new Error(`no message ${click.ts} in ${click.channel}`);
  for (const block of (msg.blocks ?? []) as { type?: string; block_id?: string; elements?: Record<string, unknown>[] }[]) {
    if (block.type !== 'actions') continue;
    const button = block.elements?.find((e) => e['action_id'] === click.actionId);
    if (!button) continue;
    const payload = {
      type: 'block_actions',
      user: { id: click.user, username: click.user.toLowerCase(), name: click.user.toLowerCase(), team_id: STUB_BOT.teamId },
      api_app_id: STUB_BOT.appId,
      token: 'verification-token-is-deprecated',
      container: { type: 'message', message_ts: msg.ts, channel_id: msg.channel, is_ephemeral: false },
      trigger_id: `${Math.floor(now.getTime() / 1000)}.sandbox`,
      team: { id: STUB_BOT.teamId, domain: 'sandbox' },
      channel: { id: msg.channel, name: 'sandbox' },
      message: { type: 'message', ts: msg.ts, text: msg.text, blocks: msg.blocks },
      response_url: 'https://hooks.slack.com/actions/sandbox',
      actions: [{ action_id: click.actionId, block_id: block.block_id, text: button['text'], value: button['value'], type: 'button', action_ts: `${(now.getTime() / 1000).toFixed(6)}` }],
    };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    return {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature },
      body,
      payload,
    };
  }
  throw new Error(`message ${click.ts} has no button ${click.actionId}`);
}

let events = 0;

function sign(body: string, contentType: string, signingSecret: string, now: Date): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'content-type': contentType, 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature };
}

/**
 * The Events API request Slack sends when `user` opens the app's Home tab (`app_home_opened`,
 * JSON, signed), with the view the stub last published for them when there is one.
 */
export function signedAppHomeOpened(ws: SlackWorkspace, user: string, signingSecret: string, now = new Date()): SignedInteraction {
  const home = ws.home(user);
  const payload = {
    token: 'verification-token-is-deprecated',
    team_id: STUB_BOT.teamId,
    api_app_id: STUB_BOT.appId,
    event: { type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home', event_ts: `${(now.getTime() / 1000).toFixed(6)}`, ...(home ? { view: { id: home.id, type: 'home', blocks: home.view.blocks } } : {}) },
    type: 'event_callback',
    event_id: `Ev${String(++events).padStart(10, '0')}`,
    event_time: Math.floor(now.getTime() / 1000),
  };
  const body = JSON.stringify(payload);
  return { headers: sign(body, 'application/json', signingSecret, now), body, payload };
}

/**
 * A click on a button of the App Home the stub holds for `user` (a `block_actions` payload whose
 * container is the view, with no channel), signed. `value` picks one of several buttons with the
 * same action id. Throws when there is no such home or button.
 */
export function signedHomeClick(ws: SlackWorkspace, click: { user: string; actionId: string; value?: string }, signingSecret: string, now = new Date()): SignedInteraction {
  const home = ws.home(click.user);
  if (!home) throw new Error(`no App Home published for ${click.user}`);
  for (const block of home.view.blocks as { type?: string; block_id?: string; elements?: Record<string, unknown>[] }[]) {
    if (block.type !== 'actions') continue;
    const button = block.elements?.find((e) => e['action_id'] === click.actionId && (click.value === undefined || e['value'] === click.value));
    if (!button) continue;
    const payload = {
      type: 'block_actions',
      user: { id: click.user, username: click.user.toLowerCase(), name: click.user.toLowerCase(), team_id: STUB_BOT.teamId },
      api_app_id: STUB_BOT.appId,
      token: 'verification-token-is-deprecated',
      container: { type: 'view', view_id: home.id },
      trigger_id: `${Math.floor(now.getTime() / 1000)}.sandbox`,
      team: { id: STUB_BOT.teamId, domain: 'sandbox' },
      view: { id: home.id, type: 'home', blocks: home.view.blocks, callback_id: home.view.callback_id ?? '' },
      actions: [{ action_id: click.actionId, block_id: block.block_id, text: button['text'], value: button['value'], type: 'button', action_ts: `${(now.getTime() / 1000).toFixed(6)}${++events}` }],
    };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    return { headers: sign(body, 'application/x-www-form-urlencoded', signingSecret, now), body, payload };
  }
  throw new Error(`the App Home of ${click.user} has no ${click.actionId} button${click.value ? ` with value ${click.value}` : ''}`);
}
