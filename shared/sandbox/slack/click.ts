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
