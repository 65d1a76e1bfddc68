import { cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CostwatchError, StateFolderError } from '../errors.js';
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
  /** How long to wait for another process to release the folder; 0 (the default) refuses at once. */
  readonly waitLockMs?: number;
}

/** Name of the folder, inside the state folder, whose lock is held for as long as a store is open. */
export const LOCK_NAME = 'costwatch.lock';

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

/**
 * Opens the state store of local runs: dynalite in-process over a LevelDB folder, no server to run.
 * The folder is locked for as long as the store is open (LevelDB's own lock on a folder inside it,
 * which the operating system releases when the process ends, even by kill -9), so a second
 * process is refused at once with {@link StateFolderError}, never half-way through a run.
 */
export async function openEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<StateStore> {
  const dir = resolve(options.dir ?? DEFAULT_STATE_DIR);
  await makeFolder(dir);
  const lock = await takeLock(dir, options.waitLockMs ?? 0);
  try {
    await probeFolder(dir);
    return await start({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }, () => lock.close());
  } catch (err) {
    await lock.close().catch(() => undefined);
    throw err;
  }
}

/** Opens a store that lives in memory only: for tests, and for dry runs that must leave nothing behind. */
export async function openMemoryStore(): Promise<StateStore> {
  return start({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }, async () => undefined);
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
  if (!found.isDirectory()) throw new StateFolderError(`the state folder ${dir} is a file, not a folder: give --state-dir a folder`, 'not-a-folder');
  const copy = await mkdtemp(join(tmpdir(), 'costwatch-dry-run-'));
  const discard = () => rm(copy, { recursive: true, force: true });
  try {
    // The locks belong to whoever holds the real folder; the copy needs none of them.
    await cp(dir, copy, { recursive: true, filter: (src) => basename(src) !== 'LOCK' && basename(src) !== LOCK_NAME });
    await probeFolder(copy).catch((err: unknown) => {
      throw err instanceof StateFolderError ? folderError(dir, err.cause) : err;
    });
    return await start({ path: copy, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }, discard);
  } catch (err) {
    await discard();
    if (err instanceof CostwatchError) throw err;
    throw new StateFolderError(`the state folder ${dir} cannot be read for a dry run: ${(err as Error).message}`, 'unreadable', { cause: err });
  }
}

async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new StateFolderError(`the state folder ${dir} (or a folder above it) is a file, not a folder: give --state-dir a folder`, 'not-a-folder', { cause: err });
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new StateFolderError(`the state folder ${dir} cannot be created (${code}): give --state-dir a folder you can write to`, 'unreadable', { cause: err });
    }
    throw new StateFolderError(`the state folder ${dir} cannot be created: ${(err as Error).message}`, 'unreadable', { cause: err });
  }
  const s = await stat(dir);
  if (!s.isDirectory()) throw new StateFolderError(`the state folder ${dir} is a file, not a folder: give --state-dir a folder`, 'not-a-folder');
}

/**
 * Takes the folder's lock: one atomic step (LevelDB's `LOCK`, an exclusive lock on an open file),
 * so of two processes starting together exactly one wins and the other is told at once.
 */
async function takeLock(dir: string, waitMs: number): Promise<ProbeLevel> {
  const deadline = Date.now() + Math.max(0, waitMs);
  for (;;) {
    const lock = new Level(join(dir, LOCK_NAME), { createIfMissing: true });
    try {
      await lock.open();
      return lock;
    } catch (err) {
      if (!isLocked(err)) throw folderError(dir, err);
      if (Date.now() >= deadline) {
        throw new StateFolderError(
          `the state folder ${dir} is in use by another costwatch process: wait for it to finish${waitMs > 0 ? ` (waited ${Math.round(waitMs / 1000)} s)` : ' (or pass --wait-lock SECONDS)'}, or give this run its own --state-dir`,
          'locked',
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(10, deadline - Date.now()))));
    }
  }
}

/**
 * dynalite opens LevelDB lazily and, when the folder cannot be read, crashes the process from
 * inside a stream on the first listing. Opening the folder ourselves first (under the lock, so
 * nobody else can take it in between) turns that into a clear error.
 */
async function probeFolder(dir: string): Promise<void> {
  const db = new Level(dir, { createIfMissing: true });
  try {
    await db.open();
  } catch (err) {
    throw folderError(dir, err);
  }
  await db.close();
}

function folderError(dir: string, err: unknown): StateFolderError {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  const detail = String(e?.cause?.message ?? e?.message ?? err).split('\n')[0]!.slice(0, 200);
  if (isLocked(err)) return new StateFolderError(`the state folder ${dir} is in use by another costwatch process: wait for it to finish, or give this run its own --state-dir`, 'locked', { cause: err });
  const code = String(e?.cause?.code ?? e?.code ?? '');
  // A file LevelDB needs is missing or unreadable garbage: the folder was damaged (a crash of the disk, a partial copy).
  if (code === 'LEVEL_CORRUPTION' || /corrupt/i.test(detail) || (/IO error/i.test(detail) && !/permission denied|EACCES|EPERM/i.test(detail))) {
    return new StateFolderError(`the state folder ${dir} is corrupted (${detail}): move it aside (or delete it) to start with empty state`, 'corrupted', { cause: err });
  }
  return new StateFolderError(
    `the state folder ${dir} cannot be read (${detail}): check its permissions and that it holds costwatch state; move it aside (or delete it) to start with empty state`,
    'unreadable',
    { cause: err },
  );
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

async function start(options: DynaliteOptions, release: () => Promise<void>): Promise<StateStore> {
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
    try {
      // dynalite's close also closes LevelDB.
      await new Promise<void>((ok, fail) => server.close((err) => (err ? fail(err) : ok())));
    } finally {
      await release();
    }
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
