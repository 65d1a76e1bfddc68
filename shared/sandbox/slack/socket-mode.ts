/**
 * Slack's Socket Mode endpoint, played locally: `apps.connections.open` (app-level token) hands out a
 * one-use `ws://127.0.0.1:<port>/link/?ticket=…` URL served here. The WebSocket protocol (RFC 6455)
 * is written out on node:http's `upgrade` because no WebSocket server package is installed; it covers
 * what @slack/socket-mode's client uses: text frames, ping/pong and the close handshake.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { STUB_BOT, type SlackWorkspace } from './workspace.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** An envelope as Slack sends it over the socket (`interactive`, `events_api`, `slash_commands`). */
export interface SocketEnvelope {
  readonly envelope_id: string;
  readonly type: string;
  readonly payload: unknown;
  readonly accepts_response_payload: boolean;
}

/** An acknowledgement the client sent: `{ envelope_id, payload }` as @slack/socket-mode sends it. */
export interface SocketAck {
  readonly envelope_id: string;
  readonly payload: unknown;
  /** `Date.now()` when the stub read it. */
  readonly receivedAt: number;
}

/** The stub's Socket Mode server; tests push envelopes through it and read the acks. */
export interface SocketModeStub {
  /** Issues a one-use WebSocket URL, as `apps.connections.open` does. */
  openConnection(): string;
  /** Open connections (after `hello`). */
  connections(): number;
  /** Resolves once a client connection has received `hello`. */
  waitForConnection(timeoutMs?: number): Promise<void>;
  /** Sends an envelope to the newest open connection; returns its `envelope_id`. */
  push(envelope: Omit<SocketEnvelope, 'envelope_id'> & { envelope_id?: string }): string;
  /** Sends an `interactive` envelope carrying `payload` (e.g. a `block_actions` payload). */
  pushInteractive(payload: unknown): string;
  /** Sends Slack's `disconnect` message (the client is expected to reconnect). */
  sendDisconnect(reason?: 'warning' | 'refresh_requested' | 'link_disabled'): void;
  /** Every acknowledgement received, oldest first. */
  acks(): readonly SocketAck[];
  /** Resolves with the ack of `envelopeId`, rejects after `timeoutMs`. */
  waitForAck(envelopeId: string, timeoutMs?: number): Promise<SocketAck>;
  /** Pings from the client answered with a pong. */
  pongsSent(): number;
  /** Messages the client sent that were not acks (or not JSON). */
  unexpected(): readonly string[];
  close(): Promise<void>;
}

interface Connection {
  readonly socket: Socket;
  send(op: number, payload: Buffer): void;
}

/** Starts the Socket Mode stub and attaches it to `workspace`, so its `apps.connections.open` answers with this server's URLs. */
export async function startSocketModeStub(workspace: SlackWorkspace, options: { host?: string } = {}): Promise<SocketModeStub> {
  const tickets = new Set<string>();
  const open: Connection[] = [];
  const acks: SocketAck[] = [];
  const unexpected: string[] = [];
  const waiters: (() => void)[] = [];
  let pongs = 0;
  let base = '';

  const server: Server = createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('upgrade required'));
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const ticket = url.searchParams.get('ticket') ?? '';
    const key = req.headers['sec-websocket-key'];
    const refuse = (status: string) => socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    if (url.pathname !== '/link/' || req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') return refuse('400 Bad Request');
    // Tickets are single-use, like Slack's: a reconnecting client must call apps.connections.open again.
    if (!tickets.delete(ticket)) return refuse('401 Unauthorized');
    const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`);
    socket.setNoDelay(true);
    const conn = serveSocket(socket);
    open.push(conn);
    conn.send(OP.text, Buffer.from(JSON.stringify({ type: 'hello', num_connections: open.length, debug_info: { host: 'applink-sandbox', build_number: 1, approximate_connection_time: 18060 }, connection_info: { app_id: STUB_BOT.appId } })));
    for (const w of waiters.splice(0)) w();
  });

  function serveSocket(socket: Socket): Connection {
    let buf = Buffer.alloc(0);
    let fragments: Buffer[] = [];
    let closing = false;
    const conn: Connection = {
      socket,
      send(op, payload) {
        if (socket.destroyed || socket.writableEnded) return;
        const len = payload.length;
        const head = len < 126 ? Buffer.from([0x80 | op, len]) : len < 65536 ? Buffer.from([0x80 | op, 126, len >> 8, len & 0xff]) : Buffer.concat([Buffer.from([0x80 | op, 127]), u64(len)]);
        socket.write(Buffer.concat([head, payload]));
      },
    };
    const drop = () => {
      const i = open.indexOf(conn);
      if (i >= 0) open.splice(i, 1);
    };
    const fail = (code: number) => {
      closing = true;
      conn.send(OP.close, closePayload(code));
      socket.end();
      drop();
    };
    socket.on('close', drop);
    socket.on('error', drop);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length < 2) return;
        const fin = (buf[0]! & 0x80) !== 0;
        const op = buf[0]! & 0x0f;
        const masked = (buf[1]! & 0x80) !== 0;
        let len = buf[1]! & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        // RFC 6455 §5.1: a server must close the connection on an unmasked client frame.
        if (!masked) return fail(1002);
        if (len > MAX_MESSAGE_BYTES) return fail(1009);
        if (buf.length < at + 4 + len) return;
        const mask = buf.subarray(at, at + 4);
        const payload = Buffer.from(buf.subarray(at + 4, at + 4 + len));
        for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
        buf = buf.subarray(at + 4 + len);
        if (op === OP.ping) {
          conn.send(OP.pong, payload);
          pongs++;
        } else if (op === OP.pong) {
          // unsolicited pongs are allowed and ignored
        } else if (op === OP.close) {
          if (!closing) conn.send(OP.close, payload.subarray(0, 2));
          closing = true;
          socket.end();
          drop();
          return;
        } else if (op === OP.text || op === OP.binary || op === OP.continuation) {
          fragments.push(payload);
          if (fin) {
            const text = Buffer.concat(fragments).toString('utf8');
            fragments = [];
            received(text);
          }
        } else return fail(1002);
      }
    });
    return conn;
  }

  function received(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      unexpected.push(text);
      return;
    }
    const id = (msg as { envelope_id?: unknown } | null)?.envelope_id;
    if (typeof id !== 'string') {
      unexpected.push(text);
      return;
    }
    acks.push({ envelope_id: id, payload: (msg as { payload?: unknown }).payload, receivedAt: Date.now() });
    for (const w of waiters.splice(0)) w();
  }

  function until<T>(test: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`socket mode stub: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        const v = test();
        if (v !== undefined) {
          clearTimeout(timer);
          ok(v);
        } else waiters.push(check);
      };
      check();
    });
  }

  function newest(): Connection {
    const conn = open.at(-1);
    if (!conn) throw new Error('socket mode stub: no client is connected');
    return conn;
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, options.host ?? '127.0.0.1', () => ok());
  });
  const { address, port } = server.address() as AddressInfo;
  base = `ws://${address}:${port}`;

  const stub: SocketModeStub = {
    openConnection() {
      const ticket = randomUUID();
      tickets.add(ticket);
      return `${base}/link/?ticket=${ticket}&app_id=${STUB_BOT.appId}`;
    },
    connections: () => open.length,
    waitForConnection: (timeoutMs = 5000) => until(() => (open.length > 0 ? true : undefined), timeoutMs, 'connection').then(() => undefined),
    push(envelope) {
      const full: SocketEnvelope = { ...envelope, envelope_id: envelope.envelope_id ?? randomUUID() };
      newest().send(OP.text, Buffer.from(JSON.stringify(full)));
      return full.envelope_id;
    },
    pushInteractive(payload) {
      return stub.push({ type: 'interactive', payload, accepts_response_payload: false });
    },
    sendDisconnect(reason = 'refresh_requested') {
      newest().send(OP.text, Buffer.from(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-sandbox' } })));
    },
    acks: () => [...acks],
    waitForAck: (envelopeId, timeoutMs = 5000) => until(() => acks.find((a) => a.envelope_id === envelopeId), timeoutMs, `ack of ${envelopeId}`),
    pongsSent: () => pongs,
    unexpected: () => [...unexpected],
    close: () =>
      new Promise<void>((ok, fail) => {
        workspace.socketMode = undefined;
        for (const c of open.splice(0)) c.socket.destroy();
        server.close((err) => (err ? fail(err) : ok()));
        server.closeAllConnections();
      }),
  };
  workspace.socketMode = stub;
  return stub;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function closePayload(code: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return b;
}
