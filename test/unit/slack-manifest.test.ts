import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../bin/costwatch.js';
import { BOT_SCOPES, ManifestError, slackAppManifest } from '../../shared/slack/manifest.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function run(argv: string[], files: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'costwatch-manifest-'));
  dirs.push(cwd);
  for (const [name, text] of Object.entries(files)) await writeFile(join(cwd, name), text);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (err += String(c)));
  const code = await main(argv, { stdout, stderr, cwd, env: {} });
  return { code, out, err };
}

const POLICY = (groups: string) => `version: 1
slack:
  channel: "#ml-costs"
  approvers: { users: [U024BE7LH]${groups} }
`;

describe('slackAppManifest', () => {
  it('asks for chat:write and files:write, usergroups:read only when approvers are user groups, and subscribes to app_home_opened only', () => {
    const plain = slackAppManifest({ url: 'https://abc.lambda-url.us-east-1.on.aws/', userGroups: false });
    const groups = slackAppManifest({ url: 'https://abc.lambda-url.us-east-1.on.aws/', userGroups: true });

    expect((plain['oauth_config'] as { scopes: { bot: string[] } }).scopes.bot).toEqual(['chat:write', 'files:write']);
    expect((groups['oauth_config'] as { scopes: { bot: string[] } }).scopes.bot).toEqual(['chat:write', 'files:write', 'usergroups:read']);
    expect(Object.keys(BOT_SCOPES)).toEqual(['chat:write', 'files:write', 'usergroups:read']);
    expect(plain['settings']).toEqual({
      event_subscriptions: { request_url: 'https://abc.lambda-url.us-east-1.on.aws/', bot_events: ['app_home_opened'] },
      interactivity: { is_enabled: true, request_url: 'https://abc.lambda-url.us-east-1.on.aws/' },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    });
    expect(plain['features']).toEqual({ app_home: { home_tab_enabled: true, messages_tab_enabled: false, messages_tab_read_only_enabled: false }, bot_user: { display_name: 'costwatch', always_online: false } });
  });

  it('enables Socket Mode without a request URL', () => {
    const m = slackAppManifest({ socketMode: true, userGroups: false });

    expect(m['settings']).toMatchObject({ interactivity: { is_enabled: true }, socket_mode_enabled: true });
    expect(JSON.stringify(m)).not.toContain('request_url');
  });

  it('refuses a plain-http URL, no URL without Socket Mode, and an over-long name', () => {
    expect(() => slackAppManifest({ url: 'http://localhost:3000/slack/interactions', userGroups: false })).toThrow('Slack only sends interactions to https URLs');
    expect(() => slackAppManifest({ userGroups: false })).toThrow(ManifestError);
    expect(() => slackAppManifest({ url: 'https://x.example', name: 'n'.repeat(36), userGroups: false })).toThrow('1 to 35 characters');
  });
});

describe('costwatch slack manifest', () => {
  it('prints YAML with the URL, reading the approvers from costwatch.yml', async () => {
    const { code, out } = await run(['slack', 'manifest', '--url', 'https://x.lambda-url.eu-west-1.on.aws/'], { 'costwatch.yml': POLICY(', userGroups: [S0614TZR7]') });

    const m = parse(out) as { oauth_config: { scopes: { bot: string[] } }; settings: { interactivity: { request_url: string } } };
    expect(code).toBe(0);
    expect(m.oauth_config.scopes.bot).toEqual(['chat:write', 'files:write', 'usergroups:read']);
    expect(m.settings.interactivity.request_url).toBe('https://x.lambda-url.eu-west-1.on.aws/');
  });

  it('prints JSON, and notes the scope question when there is no policy file', async () => {
    const { code, out, err } = await run(['slack', 'manifest', '--socket-mode', '--json', '--name', 'watchdog']);

    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ display_information: { name: 'watchdog' }, oauth_config: { scopes: { bot: ['chat:write', 'files:write'] } } });
    expect(err).toContain('pass --config');
  });

  it('exits 2 with the reason for a bad URL or a missing subcommand', async () => {
    const bad = await run(['slack', 'manifest', '--url', 'http://insecure.example']);
    const none = await run(['slack']);

    expect(bad).toMatchObject({ code: 2, err: expect.stringContaining('https URLs') });
    expect(none).toMatchObject({ code: 2, err: expect.stringContaining("try 'costwatch slack manifest") });
  });
});
