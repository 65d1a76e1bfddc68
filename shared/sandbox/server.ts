import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { fixedClock, type Clock } from '../clock.js';
import { CLOUDWATCH_OPERATIONS } from './aws/cloudwatch.js';
import {
  accountOfAccessKey,
  AWS_SERVICES,
  AwsApiError,
  errorResponse,
  readAuthorization,
  toWireJson,
  type AwsService,
} from './aws/protocol.js';
import { SAGEMAKER_OPERATIONS, type AwsHandler } from './aws/sagemaker.js';
import { AUTOSCALING_OPERATIONS } from './aws/autoscaling.js';
import { AwsState } from './aws/state.js';
import { AwsBillingState } from './aws/billing-state.js';
import { BILLING_OPERATIONS, handleBillingRequest, type BillingEnv } from './aws/billing-server.js';
import { S3State } from './aws/s3.js';
import { handleSts, isQueryRequest, STS_OPERATIONS, type AssumedRoleSession } from './aws/sts.js';
import { FaultInjector, type FaultDecision } from './faults.js';
import { GCP_OPERATIONS, handleGcpRequest, type GcpEnv } from './gcp/server.js';
import { GcpState } from './gcp/state.js';
import { resolveTime } from './time.js';
import { handleSlackApiRequest, SLACK_API_PREFIX } from './slack/web-api.js';
import { SlackWorkspace } from './slack/workspace.js';
import type { FaultInput, World } from './world.js';
import { AZURE_OPERATIONS, handleArmRequest, type ArmEnv } from './azure/arm.js';
import { AzureState } from './azure/state.js';
import { BLOB_PATH_PREFIX, handleBlobRequest, type BlobEnv } from './azure/storage.js';
import { runCertificate } from './azure/tls.js';

const gunzipAsync = promisify(gunzip);
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const OPERATIONS: Readonly<Record<AwsService, Readonly<Record<string, AwsHandler>>>> = {
  sagemaker: SAGEMAKER_OPERATIONS,
  cloudwatch: CLOUDWATCH_OPERATIONS,
  'application-autoscaling': AUTOSCALING_OPERATIONS,
};

/** Every operation the sandbox implements, as counted by `calls()`. */
export type SandboxOperation =
  | `sagemaker.${keyof typeof SAGEMAKER_OPERATIONS}`
  | `cloudwatch.${keyof typeof CLOUDWATCH_OPERATIONS}`
  | `application-autoscaling.${keyof typeof AUTOSCALING_OPERATIONS}`
  | `sts.${keyof typeof STS_OPERATIONS}`;

/** Calls per `service.Operation`; implemented operations are always present, others once called. */
export type CallCounts = Readonly<Record<SandboxOperation, number>> & Readonly<Record<string, number>>;

/** Options of `startSandbox`. */
export interface SandboxOptions {
  readonly world: World;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /**
   * World-clock milliseconds an endpoint made by CreateEndpoint stays `Creating`. Default 0: it
   * is `InService` at the next read, so SDK waiters return at once; set it and advance the clock
   * to watch the transition.
   */
  readonly endpointCreationMs?: number;
  /**
   * World-clock milliseconds a stop, start or delete (notebooks, Studio apps, jobs) stays in its
   * transitional state (`Stopping`, `Pending`, `Deleting`). Default 0: done at the next read.
   */
  readonly transitionMs?: number;
  /**
   * Items per page of an Azure Resource Manager list before its `nextLink` (default 100). Small
   * values exercise paging.
   */
  readonly azurePageSize?: number;
  /**
   * The blob endpoint a storage account reports (`primaryEndpoints.blob`); default the sandbox's own
   * small Blob service (`<url>/azure-blob/<account>/`, shared key). Tests point it at Azurite.
   */
  readonly azureBlobEndpoint?: (account: string) => string;
}

/** The mutable clouds behind the server, for tests to inspect. */
export interface SandboxState {
  readonly aws: AwsState;
  /** Every successful STS AssumeRole, in order. */
  readonly stsSessions: readonly AssumedRoleSession[];
  /** Cost Explorer rows, AWS Budgets, anomalies and Price List products. */
  readonly billing: AwsBillingState;
  /** S3 buckets, their objects and lifecycle configurations. */
  readonly s3: S3State;
  /** Google Cloud projects: Vertex AI endpoints and jobs, Workbench instances, Cloud Monitoring series. */
  readonly gcp: GcpState;
  /** Azure subscriptions: Machine Learning workspaces, endpoints, computes and their metrics. */
  readonly azure: AzureState;
}

/** A running sandbox cloud. */
export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** `endpoint` for AWS SDK v3 clients. */
  readonly awsEndpoint: string;
  /** Where Google clients point: `{ apiEndpoint, port, protocol: 'http', fallback: true }` with a bearer-token auth client. */
  readonly gcp: { readonly apiEndpoint: string; readonly port: number };
  /** `slackApiUrl` for @slack/web-api's WebClient: the Slack Web API stub under `/slack/api/`. */
  readonly slackApiUrl: string;
  /**
   * Base URL of the Azure listener (ARM and Azure Monitor), over HTTPS with a certificate made for
   * the run: Azure's bearer-token policy refuses plain http. Give clients `azureCa` as `tlsOptions.ca`.
   */
  readonly azureEndpoint: string;
  /** The PEM certificate the Azure listener presents; trust it in the client only. */
  readonly azureCa: string;
  /** The stub's Slack workspace (messages, threads, ephemerals, user groups, rate limits), for tests to inspect. */
  readonly slack: SlackWorkspace;
  /** Stops the server, dropping open connections. */
  close(): Promise<void>;
  /** Calls received per `service.Operation`, faulted ones included. */
  calls(): CallCounts;
  /** Zeroes call and fault counts. */
  resetCalls(): void;
  readonly faults: {
    add(fault: FaultInput): void;
    clear(): void;
    /** Faults fired per `service.Operation:kind`. */
    injected(): Record<string, number>;
  };
  /** The world clock: starts at the world's `now`; only `advance` moves it. */
  readonly clock: Clock & { advance(ms: number): void };
  readonly state: SandboxState;
}

/** Starts the sandbox cloud on a local port, seeded from a validated world. */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { world, host = '127.0.0.1', port = 0, endpointCreationMs = 0, transitionMs = 0, azurePageSize = 100 } = options;
  const worldNow = resolveTime(world.now, 0);
  const clock = fixedClock(new Date(worldNow));
  /** The http listener's base URL, known once it listens. */
  let url = '';
  const stsSessions: AssumedRoleSession[] = [];
  const state: SandboxState = {
    aws: new AwsState(world, worldNow),
    stsSessions,
    billing: new AwsBillingState(world, worldNow),
    s3: new S3State(world, worldNow),
    gcp: new GcpState(world, worldNow),
    azure: new AzureState(world, worldNow),
  };
  const faults = new FaultInjector(world.faults, world.seed);
  const counts = new Map<string, number>();
  const slack = new SlackWorkspace();
  const sts = { state: state.aws, sessions: stsSessions, count: (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1), decide: faults.decide.bind(faults) };

  const billingEnv: BillingEnv = {
    billing: state.billing,
    s3: state.s3,
    hasAccount: (id) => state.aws.hasAccount(id),
    count: (k) => counts.set(k, (counts.get(k) ?? 0) + 1),
    decide: (call) => faults.decide(call),
    now: () => clock.now().getTime(),
  };

  const gcpEnv: GcpEnv = {
    state: state.gcp,
    count: (k) => counts.set(k, (counts.get(k) ?? 0) + 1),
    decide: (call) => faults.decide(call),
    now: () => clock.now().getTime(),
    transitionMs,
  };
  const armEnv: ArmEnv = {
    state: state.azure,
    count: (k) => counts.set(k, (counts.get(k) ?? 0) + 1),
    decide: (call) => faults.decide(call),
    now: () => clock.now().getTime(),
    pageSize: Math.max(1, azurePageSize),
    blobEndpoint: (account) => (options.azureBlobEndpoint ? options.azureBlobEndpoint(account) : `${url}${BLOB_PATH_PREFIX}${account}/`),
  };
  const blobEnv: BlobEnv = {
    storage: state.azure.storage,
    count: (k) => counts.set(k, (counts.get(k) ?? 0) + 1),
    decide: (call) => faults.decide(call),
    now: () => clock.now().getTime(),
    pageSize: 5000,
  };
  const tls = await runCertificate();
  const azureServer = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    handleArmRequest(req, res, armEnv).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { 'content-type': 'application/json' }, JSON.stringify({ error: { code: 'InternalServerError', message: String(err) } }));
      else res.destroy();
    });
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { 'content-type': 'application/json' }, JSON.stringify({ __type: 'InternalFailure', message: String(err) }));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url?.startsWith(SLACK_API_PREFIX)) return handleSlackApiRequest(slack, req, res);
    if (await handleBlobRequest(req, res, blobEnv)) return;
    if (await handleGcpRequest(req, res, gcpEnv)) return;
    if (await handleBillingRequest(req, res, billingEnv)) return;
    const target = req.headers['x-amz-target'];
    if (typeof target !== 'string') {
      if (req.url?.startsWith('/aws') && req.method === 'POST' && isQueryRequest(req)) {
        await handleSts(req, res, sts);
      } else if (req.url?.startsWith('/aws')) {
        const e = errorResponse('sagemaker', new AwsApiError('unknown-operation', 'Missing X-Amz-Target header'));
        send(res, e.status, e.headers, e.body);
      } else {
        send(res, 404, { 'content-type': 'application/json' }, JSON.stringify({ message: `the sandbox cloud has nothing at ${req.method ?? ''} ${req.url ?? ''}` }));
      }
      return;
    }
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    const service = (Object.keys(AWS_SERVICES) as AwsService[]).find((s) => AWS_SERVICES[s].target === prefix);
    if (!service) {
      const e = errorResponse('sagemaker', new AwsApiError('unknown-operation', `The sandbox cloud does not speak ${prefix || target}`));
      send(res, e.status, e.headers, e.body);
      return;
    }
    const key = `${service}.${operation}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const contentType = `application/x-amz-json-${AWS_SERVICES[service].json}`;
    try {
      const text = await readBody(req);
      const { accessKeyId, region } = readAuthorization(req.headers.authorization);
      const accountId = accountOfAccessKey(accessKeyId);
      if (!accountId || !state.aws.hasAccount(accountId)) {
        throw new AwsApiError('unrecognized-client', 'The security token included in the request is invalid.');
      }
      const handler = Object.hasOwn(OPERATIONS[service], operation) ? OPERATIONS[service][operation] : undefined;
      if (!handler) throw new AwsApiError('unknown-operation', `The sandbox cloud does not implement ${service}.${operation}.`);
      const decision = faults.decide({ service, operation, accountId, region });
      if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
      if (decision.error) throw faultError(decision.error, service, operation, accountId);
      let body: unknown;
      try {
        body = text.trim() === '' ? {} : JSON.parse(text);
      } catch {
        throw new AwsApiError('serialization', 'Start of structure or map found where not expected.');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new AwsApiError('serialization', 'The request body must be a JSON object.');
      }
      const output = handler({ region: state.aws.region(accountId, region), now: clock.now().getTime(), endpointCreationMs, transitionMs }, body);
      send(res, 200, { 'content-type': contentType }, toWireJson(output));
    } catch (err) {
      if (!(err instanceof AwsApiError)) throw err;
      const e = errorResponse(service, err);
      send(res, e.status, e.headers, e.body);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  await new Promise<void>((resolve, reject) => {
    azureServer.once('error', reject);
    azureServer.listen(0, host, () => {
      azureServer.off('error', reject);
      resolve();
    });
  });
  const azureAddress = azureServer.address() as AddressInfo;
  const azureEndpoint = `https://${azureAddress.family === 'IPv6' ? `[${azureAddress.address}]` : azureAddress.address}:${azureAddress.port}`;

  return {
    url,
    awsEndpoint: `${url}/aws`,
    gcp: { apiEndpoint: address.family === 'IPv6' ? address.address : address.address, port: address.port },
    slackApiUrl: `${url}${SLACK_API_PREFIX}`,
    azureEndpoint,
    azureCa: tls.cert,
    slack,
    close: async () => {
      await Promise.all([
        new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          server.closeAllConnections();
        }),
        new Promise<void>((resolve, reject) => {
          azureServer.close((err) => (err ? reject(err) : resolve()));
          azureServer.closeAllConnections();
        }),
      ]);
    },
    calls: () => {
      const out: Record<string, number> = {};
      for (const service of Object.keys(OPERATIONS) as AwsService[]) {
        for (const op of Object.keys(OPERATIONS[service])) out[`${service}.${op}`] = 0;
      }
      for (const op of Object.keys(STS_OPERATIONS)) out[`sts.${op}`] = 0;
      for (const [service, ops] of Object.entries(BILLING_OPERATIONS)) for (const op of ops) out[`${service}.${op}`] = 0;
      for (const op of GCP_OPERATIONS) out[op] = 0;
      for (const [service, ops] of Object.entries(AZURE_OPERATIONS)) for (const op of ops) out[`${service}.${op}`] = 0;
      for (const [k, v] of counts) out[k] = v;
      return out as CallCounts;
    },
    resetCalls: () => {
      counts.clear();
      faults.resetCounts();
    },
    faults: {
      add: (f) => faults.add(f),
      clear: () => faults.clear(),
      injected: () => faults.injected(),
    },
    clock,
    state,
  };
}

function faultError(error: NonNullable<FaultDecision['error']>, service: AwsService, operation: string, accountId: string): AwsApiError {
  switch (error.kind) {
    case 'throttle':
      return new AwsApiError('throttle', 'Rate exceeded');
    case 'access-denied':
      return new AwsApiError(
        'access-denied',
        `User: arn:aws:sts::${accountId}:assumed-role/costwatch/sandbox is not authorized to perform: ${service}:${operation} because no identity-based policy allows the ${service}:${operation} action`,
      );
    case 'server-error':
      return error.status === 503
        ? new AwsApiError('unavailable', 'Service Unavailable')
        : new AwsApiError('internal', 'We encountered an internal error. Please try again.');
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new AwsApiError('serialization', 'Request body too large.');
    chunks.push(buf);
  }
  const raw = Buffer.concat(chunks);
  // CloudWatch clients may gzip request bodies (requestCompression).
  const body = req.headers['content-encoding'] === 'gzip' ? await gunzipAsync(raw) : raw;
  return body.toString('utf8');
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, {
    ...headers,
    'x-amzn-requestid': randomUUID(),
    date: new Date().toUTCString(),
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
