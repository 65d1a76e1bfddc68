import { CostwatchError } from '../errors.js';

/** Bot scopes costwatch uses, each with the calls that need it. Nothing else is requested. */
export const BOT_SCOPES = {
  /** chat.postMessage (alerts, thread history, digest), chat.update, chat.delete (own messages), chat.postEphemeral (refusals). */
  'chat:write': 'post alerts, update them in place, reply in their threads, and answer clicks privately',
  /** files.getUploadURLExternal and files.completeUploadExternal: the weekly digest's charts. */
  'files:write': "upload the weekly digest's charts (PNG) to show them in the digest",
  /** usergroups.users.list: only when approvers are given as user groups. */
  'usergroups:read': 'check that a person clicking Approve belongs to an approver user group',
} as const;

/** A Slack app manifest that cannot be built as asked. */
export class ManifestError extends CostwatchError {}

/** What the manifest is built from. */
export interface ManifestOptions {
  /** The interactivity Request URL (the slack-interactions Function URL); required unless Socket Mode. */
  readonly url?: string;
  readonly socketMode?: boolean;
  /** App and bot display name; default `costwatch`. */
  readonly name?: string;
  /** Whether approvers include user groups (adds `usergroups:read`). */
  readonly userGroups: boolean;
}

/** Bot events costwatch subscribes to: the App Home being opened (it needs no scope). */
export const BOT_EVENTS = ['app_home_opened'] as const;

/**
 * A Slack app manifest (https://api.slack.com/reference/manifests) with the scopes costwatch needs
 * and nothing more: `chat:write` and `files:write` (digest charts), plus `usergroups:read` only when
 * approvers are user groups; one event, `app_home_opened`, sent to the same URL as button clicks
 * (or over Socket Mode); the App Home's Home tab on, its Messages tab off. `views.publish` needs no scope.
 */
export function slackAppManifest(o: ManifestOptions): Record<string, unknown> {
  const name = o.name ?? 'costwatch';
  if (name.length < 1 || name.length > 35) throw new ManifestError(`the app name must be 1 to 35 characters, got ${name.length}`);
  if (!o.url && !o.socketMode) throw new ManifestError('give the interactivity URL (--url https://…), or --socket-mode to receive clicks over a WebSocket');
  if (o.url) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      throw new ManifestError(`not a URL: ${o.url}`);
    }
    if (u.protocol !== 'https:') throw new ManifestError(`Slack only sends interactions to https URLs, got ${u.protocol}//…`);
  }
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name,
      description: 'Cost watchdog for AI workloads: alerts with Approve, Snooze, Exempt and Undo buttons',
      background_color: '#1e3a5f',
    },
    features: { app_home: { home_tab_enabled: true, messages_tab_enabled: false, messages_tab_read_only_enabled: false }, bot_user: { display_name: name, always_online: false } },
    oauth_config: { scopes: { bot: ['chat:write', 'files:write', ...(o.userGroups ? ['usergroups:read'] : [])] } },
    settings: {
      event_subscriptions: { ...(o.url && !o.socketMode ? { request_url: o.url } : {}), bot_events: [...BOT_EVENTS] },
      interactivity: { is_enabled: true, ...(o.url && !o.socketMode ? { request_url: o.url } : {}) },
      org_deploy_enabled: false,
      socket_mode_enabled: Boolean(o.socketMode),
      token_rotation_enabled: false,
    },
  };
}
