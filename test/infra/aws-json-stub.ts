import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A local endpoint for the two AWS JSON-protocol services the sandbox cloud does not speak and
 * these tests need: SQS (SendMessageBatch, SendMessage) and Secrets Manager (GetSecretValue).
 * The real SDK v3 clients talk to it unchanged (endpoint and credentials aside), checksums included.
 */

/** A message the stub accepted. */
export interface StubMessage {
  readonly queueUrl: string;
  readonly body: string;
}

/** What a test can make the stub do. */
export interface StubBehaviour {
  /** Return true to reject an SQS batch entry (as a non-sender fault); called per attempt. */
  rejectEntry?(body: string, attempt: number): boolean;
}

/** A running stub. */
export interface AwsJsonStub {
  readonly url: string;
  readonly messages: StubMessage[];
  /** `X-Amz-Target` values received, in order. */
  readonly calls: string[];
  readonly secrets: Map<string, string>;
  behaviour: StubBehaviour;
  close(): Promise<void>;
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** Starts the stub on a free local port. */
export async function startAwsJsonStub(): Promise<AwsJsonStub> {
  const messages: StubMessage[] = [];
  const calls: string[] = [];
  const secrets = new Map<string, string>();
  const attempts = new Map<string, number>();
  const stub: AwsJsonStub = {
    url: '',
    messages,
    calls,
    secrets,
    behaviour: {},
    close: () => new Promise((ok) => server.close(() => ok())),
  };
  const server: Server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      calls.push(target);
      const input = JSON.parse(raw || '{}') as Record<string, unknown>;
      const reply = (status: number, body: unknown, json = '1.0') => {
        res.writeHead(status, { 'content-type': `application/x-amz-json-${json}` });
        res.end(JSON.stringify(body));
      };
      switch (target) {
        case 'AmazonSQS.SendMessageBatch': {
          const entries = input['Entries'] as { Id: string; MessageBody: string }[];
          const successful = [];
          const failed = [];
          for (const e of entries) {
            const n = (attempts.get(e.MessageBody) ?? 0) + 1;
            attempts.set(e.MessageBody, n);
            if (stub.behaviour.rejectEntry?.(e.MessageBody, n)) {
              failed.push({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'stub rejected the entry' });
              continue;
            }
            messages.push({ queueUrl: String(input['QueueUrl']), body: e.MessageBody });
            successful.push({ Id: e.Id, MessageId: `m-${messages.length}`, MD5OfMessageBody: md5(e.MessageBody) });
          }
          return reply(200, { Successful: successful, Failed: failed });
        }
        case 'AmazonSQS.SendMessage': {
          const body = String(input['MessageBody']);
          messages.push({ queueUrl: String(input['QueueUrl']), body });
          return reply(200, { MessageId: `m-${messages.length}`, MD5OfMessageBody: md5(body) });
        }
        case 'secretsmanager.GetSecretValue': {
          const id = String(input['SecretId']);
          const value = secrets.get(id);
          if (value === undefined) return reply(400, { __type: 'ResourceNotFoundException', message: `Secrets Manager can't find the specified secret ${id}` }, '1.1');
          return reply(200, { ARN: id, Name: id.split(':').pop(), SecretString: value, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1_700_000_000 }, '1.1');
        }
        default:
          return reply(400, { __type: 'UnknownOperationException', message: `the stub does not implement ${target}` });
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  (stub as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}
