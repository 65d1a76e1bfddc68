/** A local stand-in for Slack's Web API, so the real @slack/web-api client runs against it. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleSlackApiRequest, SLACK_API_PREFIX } from './web-api.js';
import { SlackWorkspace, type SlackWorkspaceOptions } from './workspace.js';

export { SlackWorkspace, STUB_BOT, DEFAULT_STUB_BOT_TOKEN, DEFAULT_STUB_APP_TOKEN, stubChannelId, type SlackWorkspaceOptions, type StubMessage, type StubEphemeral, type StubFile, type StubHome } from './workspace.js';
export { handleSlackApiRequest, SLACK_API_PREFIX, STUB_METHODS, validateBlocks } from './web-api.js';
export { signedAppHomeOpened, signedClick, signedHomeClick, type StubClick, type SignedInteraction } from './click.js';
export { startSocketModeStub, type SocketModeStub, type SocketEnvelope, type SocketAck } from './socket-mode.js';

/** A Slack stub running on its own port (the sandbox cloud also serves one under /slack/api/). */
export interface SlackStub {
  readonly workspace: SlackWorkspace;
  /** `slackApiUrl` for WebClient. */
  readonly slackApiUrl: string;
  close(): Promise<void>;
}

/** Starts a standalone Slack stub on a free local port. */
export async function startSlackStub(options: SlackWorkspaceOptions & { host?: string; port?: number } = {}): Promise<SlackStub> {
  const workspace = new SlackWorkspace(options);
  const server = createServer((req, res) => {
    if (!req.url?.startsWith(SLACK_API_PREFIX)) {
      res.writeHead(404).end();
      return;
    }
    handleSlackApiRequest(workspace, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ok());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    workspace,
    slackApiUrl: `http://${address}:${port}${SLACK_API_PREFIX}`,
    close: () =>
      new Promise<void>((ok, fail) => {
        server.close((err) => (err ? fail(err) : ok()));
        server.closeAllConnections();
      }),
  };
}
