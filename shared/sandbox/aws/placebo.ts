import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CostwatchError } from '../../errors.js';

/*
 * Recorded AWS responses in Cloud Custodian's placebo format, replayed to the real SDK clients.
 * A recording is `{"status_code": 200, "data": {...boto3 response...}}` with datetimes written as
 * `{"__class__": "datetime", "year": ..., "microsecond": ...}`; on the AWS JSON wire a timestamp is
 * epoch seconds, so the converter rewrites them (naive datetimes read as UTC) and drops boto3's
 * `ResponseMetadata`.
 */

/** One placebo recording. */
export interface PlaceboRecording {
  readonly status_code: number;
  readonly data: Record<string, unknown>;
}

/** A file that is not a placebo recording. */
export class PlaceboFormatError extends CostwatchError {}

type DatetimeField = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'microsecond';

/** Validates the wrapper of a parsed recording. */
export function asRecording(value: unknown, source = 'recording'): PlaceboRecording {
  const v = value as Partial<PlaceboRecording> | null;
  if (typeof v !== 'object' || v === null || typeof v.status_code !== 'number' || typeof v.data !== 'object' || v.data === null) {
    throw new PlaceboFormatError(`${source}: not a placebo recording ({"status_code": <number>, "data": {...}})`);
  }
  return v as PlaceboRecording;
}

/** Epoch seconds of a placebo datetime dict. */
export function placeboDatetime(d: Record<string, unknown>, source = 'recording'): number {
  const n = (k: DatetimeField, dflt?: number): number => {
    const x = d[k] ?? dflt;
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new PlaceboFormatError(`${source}: datetime field ${k} is ${JSON.stringify(d[k])}`);
    return x;
  };
  const ms = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour', 0), n('minute', 0), n('second', 0));
  return ms / 1000 + n('microsecond', 0) / 1e6;
}

/** The recording's data as the AWS JSON protocols send it: datetimes as epoch seconds, no ResponseMetadata. */
export function placeboToWire(recording: PlaceboRecording, source = 'recording'): Record<string, unknown> {
  const convert = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(convert);
    if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (o['__class__'] === 'datetime') return placeboDatetime(o, source);
      if (o['__class__'] !== undefined) throw new PlaceboFormatError(`${source}: cannot convert a serialised ${String(o['__class__'])}`);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) if (k !== 'ResponseMetadata') out[k] = convert(x);
      return out;
    }
    return v;
  };
  return convert(recording.data) as Record<string, unknown>;
}

/** Reads `<service>.<Operation>_<n>.json` files of a placebo directory, by operation, in recorded order. */
export async function loadPlaceboDir(dir: string): Promise<Map<string, PlaceboRecording[]>> {
  const files = (await readdir(dir)).filter((f) => /_\d+\.json$/.test(f));
  const out = new Map<string, { n: number; r: PlaceboRecording }[]>();
  for (const f of files) {
    const m = /^(?:.*\.)?([A-Za-z]+)_(\d+)\.json$/.exec(f);
    if (!m) continue;
    const [, op = '', n = '0'] = m;
    const r = asRecording(JSON.parse(await readFile(join(dir, f), 'utf8')), f);
    out.set(op, [...(out.get(op) ?? []), { n: Number(n), r }]);
  }
  return new Map([...out].map(([op, rs]) => [op, rs.sort((a, b) => a.n - b.n).map((x) => x.r)]));
}

/** A local server answering SDK calls from recordings. */
export interface PlaceboServer {
  readonly endpoint: string;
  /** Calls answered per operation. */
  readonly calls: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/**
 * Serves recordings over the AWS JSON protocol, by the operation in `X-Amz-Target`, in recorded
 * order and starting over when they run out (as placebo replays). Placebo matches calls by order,
 * not by their parameters, so a GetMetricData answer carries the recorded series under the Ids
 * the request asked for, in order.
 */
export async function startPlaceboServer(recordings: ReadonlyMap<string, readonly PlaceboRecording[]>): Promise<PlaceboServer> {
  const calls = new Map<string, number>();
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { __type: 'InternalFailure', message: String(err) }, 'application/x-amz-json-1.1'));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.slice(target.lastIndexOf('.') + 1);
    const contentType = target.startsWith('GraniteServiceVersion20100801') ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
    const list = recordings.get(op);
    const n = calls.get(op) ?? 0;
    calls.set(op, n + 1);
    const recording = list?.[n % list.length];
    if (!recording) {
      send(res, 400, { __type: 'UnknownOperationException', message: `no recording for ${op}` }, contentType);
      return;
    }
    const body = placeboToWire(recording, `${op} recording`);
    const error = body['Error'] as { Code?: string; Message?: string } | undefined;
    if (recording.status_code >= 300 && error) {
      // boto3 records errors as {"Error": {"Code", "Message"}}; the JSON protocols send __type.
      send(res, recording.status_code, { __type: error.Code ?? 'UnknownError', message: error.Message ?? '' }, contentType);
      return;
    }
    if (op === 'GetMetricData') {
      const asked = ((JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { MetricDataQueries?: { Id: string }[] }).MetricDataQueries ?? []).map((q) => q.Id);
      const results = (body['MetricDataResults'] as Record<string, unknown>[] | undefined) ?? [];
      body['MetricDataResults'] = results.slice(0, asked.length).map((r, i) => ({ ...r, Id: asked[i] }));
    }
    send(res, recording.status_code, body, contentType);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown, contentType: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': 'placebo' });
  res.end(text);
}
