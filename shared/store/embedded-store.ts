import { cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CostwatchError } from '../errors.js';
import { DynamoStateStore, STATE_TABLE_SCHEMA } from './dynamo-store.js';
import type { StateStore } from './port.js';

/** Where local runs keep their state unless told otherwise. */
export const DEFAULT_STATE_DIR = '.costwatch/state';

/** Name of the table inside the embedded dynalite. */
export const EMBEDDED_TABLE_NAME = 'costwatch-state';

/** Options of {@link openEmbeddedStore}. */
export interface EmbeddedStoreOptions {
  /** LevelDB folder; created with its parents. Defaults to `.costwatch/state`. */
  readonly dir?: string;
}

interface DynaliteOptions {
  readonly path?: string;
  readonly createTableMs: number;
  readonly deleteTableMs: number;
  readonly updateTableMs: number;
}

interface ProbeLevel {
  open(): Promise<void>;
  close(): Promise<void>;
}

// dynalite ships no types and `level` is dynalite's dependency, not ours: both are loaded through
// require, `level` resolved from dynalite's own folder so it is the copy dynalite uses.
const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: DynaliteOptions) => Server;
const { Level } = createRequire(require.resolve('dynalite'))('level') as {
  Level: new (path: string, options: { createIfMissing: boolean }) => ProbeLevel;
};

/** Opens the state store of local runs: dynalite in-process over a LevelDB folder, no server to run. */
export async function openEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<StateStore> {
  const dir = resolve(options.dir ?? DEFAULT_STATE_DIR);
  await mkdir(dir, { recursive: true });
  await probeFolder(dir);
  return start({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
}

/** Opens a store that lives in memory only: for tests, and for dry runs that must leave nothing behind. */
export async function openMemoryStore(): Promise<StateStore> {
  return start({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
}

/**
 * Opens the state of local runs for a dry run, which reads it (open proposals, snoozes, cached
 * prices) but leaves the folder byte for byte as it was. LevelDB writes whenever it opens a
 * folder (a new log and manifest), so the dry run opens a throwaway copy, deleted on close; with
 * no folder yet, an empty store in memory, and no folder is created.
 */
export async function openDryRunStore(options: EmbeddedStoreOptions = {}): Promise<StateStore> {
  const dir = resolve(options.dir ?? DEFAULT_STATE_DIR);
  const found = await stat(dir).catch(() => undefined);
  if (!found) return openMemoryStore();
  if (!found.isDirectory()) throw new CostwatchError(`the state folder ${dir} is not a folder`);
  const copy = await mkdtemp(join(tmpdir(), 'costwatch-dry-run-'));
  const discard = () => rm(copy, { recursive: true, force: true });
  try {
    // The lock belongs to whoever holds the real folder; the copy needs none of it.
    await cp(dir, copy, { recursive: true, filter: (src) => basename(src) !== 'LOCK' });
    return await start({ path: copy, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }, discard);
  } catch (err) {
    await discard();
    if (err instanceof CostwatchError) throw err;
    throw new CostwatchError(`the state folder ${dir} cannot be read for a dry run: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * dynalite opens LevelDB lazily and, when the folder is locked, crashes the process from inside a
 * stream on the first listing. Opening the folder ourselves first turns that into a clear error.
 * The lock is released again before dynalite takes it: a process starting in that instant can
 * still win, which only the first request would reveal.
 */
async function probeFolder(dir: string): Promise<void> {
  const db = new Level(dir, { createIfMissing: true });
  try {
    await db.open();
  } catch (err) {
    if (isLocked(err)) throw new CostwatchError(`the state folder ${dir} is in use by another costwatch process`, { cause: err });
    throw new CostwatchError(`the state folder ${dir} cannot be opened: ${(err as Error).message}`, { cause: err });
  }
  await db.close();
}

function isLocked(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  return e?.code === 'LEVEL_LOCKED' || e?.cause?.code === 'LEVEL_LOCKED';
}

class EmbeddedStateStore extends DynamoStateStore {
  readonly #shutdown: () => Promise<void>;
  #closed = false;

  constructor(client: DynamoDBDocumentClient, shutdown: () => Promise<void>) {
    super({ client, tableName: EMBEDDED_TABLE_NAME });
    this.#shutdown = shutdown;
  }

  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#shutdown();
  }
}

async function start(options: DynaliteOptions, afterClose?: () => Promise<void>): Promise<StateStore> {
  const server = dynalite(options);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  });
  const { port } = server.address() as AddressInfo;
  const raw = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const shutdown = async () => {
    client.destroy();
    raw.destroy();
    // dynalite's close also closes LevelDB, releasing the folder's lock.
    await new Promise<void>((ok, fail) => server.close((err) => (err ? fail(err) : ok())));
    await afterClose?.();
  };
  try {
    await ensureTable(raw, EMBEDDED_TABLE_NAME);
  } catch (err) {
    await shutdown().catch(() => undefined);
    throw new CostwatchError(`the embedded state store could not start: ${(err as Error).message}`, { cause: err });
  }
  return new EmbeddedStateStore(client, shutdown);
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: STATE_TABLE_SCHEMA.keySchema,
        AttributeDefinitions: STATE_TABLE_SCHEMA.attributeDefinitions,
        BillingMode: STATE_TABLE_SCHEMA.billingMode,
      }),
    );
  }
  // createTableMs is 0, yet dynalite still flips the status to ACTIVE on a later tick.
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new CostwatchError(`table ${tableName} did not become active`);
}
