/*
 * Single-table layout (string keys `pk` / `sk`; `expiresAt` is the TTL attribute, epoch seconds):
 *
 *   item        pk          sk                                   expiresAt (TTL)
 *   proposal    PROPOSAL    <proposal id>                        expiry + 14 days while proposed,
 *                                                                cancelled, rejected or undone; none otherwise
 *   decision    DECISION    <proposal id>                        none
 *   audit       AUDIT       <ISO at>#<monotonic ns>#<random>     none
 *   snooze      SNOOZE      <resource id>                        until
 *   exemption   EXEMPTION   <resource id>                        its expiry, if any
 *   alert mark  ALERT       <dedup key>                          until
 *   slack msg   SLACK       <finding key>                        updatedAt + 90 days
 *   cache       CACHE       <cache key>                          its expiry (value gzipped in `blob`)
 *   day count   DAILY       <YYYY-MM-DD>                         day end + 3 days (number in `reserved`, no `doc`)
 *   watermark   WATERMARK#<cloud>:<scope id>  <resource id>          latest due + 7 days (cleared: a day)
 *   savings     SAVINGS     <proposal id>                        none (the ledger is kept)
 *
 * One partition per item type (per scope for watermarks, which a scan of one scope reads whole)
 * keeps every listing a single Query (no Scan, no index); costwatch
 * writes a few hundred items a day, far below what one partition serves. The domain object lives
 * in a `doc` map so its own fields (a proposal's `expiresAt`) never collide with the key and TTL
 * attributes. DynamoDB deletes expired items up to days late and dynalite never does, so every
 * read that depends on time filters on the stored dates, never on TTL. A proposal's `doc` carries
 * `statusChangedAt` (ISO), written by every transition; proposals stored before it existed lack it
 * and are read without it (see takeOverProposal).
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  type AttributeDefinition,
  type DynamoDBClient,
  type AttributeValue,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ActionStatus, ProposedAction } from '../domain/action.js';
import type { AuditEntry, Decision } from '../domain/decision.js';
import type { Finding } from '../domain/finding.js';
import type { SavingsCloseReason, SavingsEntry } from '../domain/savings.js';
import { AlreadyDecidedError, ConditionFailedError, CostwatchError } from '../errors.js';
import type { StateStore, StoredExemption, StoredSlackMessage, StoredSnooze, UsageWatermark, WatermarkDue } from './port.js';
import { mapLimit } from '../util/concurrency.js';

/** Key schema, attribute definitions and TTL attribute of the state table, shared by the CDK stack and the embedded store. */
export const STATE_TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
  keySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ] satisfies KeySchemaElement[],
  attributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ] satisfies AttributeDefinition[],
  billingMode: 'PAY_PER_REQUEST',
} as const;

/** How long a proposal outlives its expiry before TTL removes it, so late clicks still find it. */
export const PROPOSAL_RETENTION_DAYS = 14;

/** Options of {@link DynamoStateStore}. */
export interface DynamoStateStoreOptions {
  /** Injected; a plain DynamoDBClient is wrapped in a document client. */
  readonly client: DynamoDBDocumentClient | DynamoDBClient;
  readonly tableName: string;
}

const PK = { proposal: 'PROPOSAL', decision: 'DECISION', audit: 'AUDIT', snooze: 'SNOOZE', exemption: 'EXEMPTION', alert: 'ALERT', slack: 'SLACK', cache: 'CACHE', daily: 'DAILY', watermark: 'WATERMARK', savings: 'SAVINGS' } as const;

/** How long a watermark outlives its latest due time (a resource deleted meanwhile leaves nothing behind for long). */
export const WATERMARK_RETENTION_DAYS = 7;

/** Watermark writes in flight at once. */
const WATERMARK_WRITES_IN_FLIGHT = 8;

/** Largest gzipped cache value kept in one item (DynamoDB items hold at most 400 KB). */
export const MAX_CACHED_BYTES = 350_000;

/** How long a Slack message reference outlives its last update; a finding alive longer is posted afresh. */
export const SLACK_MESSAGE_RETENTION_DAYS = 90;

// Only statuses in which nothing was changed, or the change was undone, may expire: the others
// hold undo data or are in flight. An allow-list, so a status added later is kept by default.
const PURGEABLE: ReadonlySet<ActionStatus> = new Set<ActionStatus>(['proposed', 'cancelled', 'rejected', 'undone']);

// Proposal fields an upsert may refresh; `status` only moves through transitionProposal and
// `createdAt` stays the first proposal's.
const REFRESHABLE = ['key', 'kind', 'findingId', 'ruleId', 'resource', 'mode', 'modeReason', 'parameters', 'reversible', 'monthlySaving', 'expiresAt', 'dueAt', 'undoData'] as const;

const UPSERT_ATTEMPTS = 3;

/** How long a day's action count outlives the day; only the current day's count is ever read. */
export const DAILY_COUNT_RETENTION_DAYS = 3;

type Doc = Record<string, unknown>;

interface StoredItem {
  readonly pk: string;
  readonly sk: string;
  readonly expiresAt?: number;
  readonly purgeAt?: number;
  readonly doc: Doc;
  readonly blob?: Uint8Array;
  /** The day count's reserved slots (DAILY items only). */
  readonly reserved?: number;
}

/** The StateStore over one DynamoDB table (deployed) or dynalite (embedded); see the layout at the top of the file. */
export class DynamoStateStore implements StateStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: DynamoStateStoreOptions) {
    this.#doc =
      options.client instanceof DynamoDBDocumentClient
        ? options.client
        : DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.#table = options.tableName;
  }

  async upsertProposal(p: ProposedAction): Promise<ProposedAction> {
    const doc = encodeProposal(p);
    const purgeAt = epochSeconds(p.expiresAt) + PROPOSAL_RETENTION_DAYS * 86_400;
    for (let attempt = 0; attempt < UPSERT_ATTEMPTS; attempt++) {
      try {
        await this.#put(
          { pk: PK.proposal, sk: p.id, purgeAt, ...(PURGEABLE.has(p.status) ? { expiresAt: purgeAt } : {}), doc },
          'attribute_not_exists(pk)',
        );
        return decodeProposal(doc);
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
      const refreshed = await this.#refreshOpenProposal(doc, purgeAt);
      if (refreshed) return refreshed;
      // The item vanished (TTL) between the two writes: create it again.
    }
    throw new CostwatchError(`proposal ${p.id} kept changing while it was being stored; try again`);
  }

  async getProposal(id: string): Promise<ProposedAction | undefined> {
    const item = await this.#get(PK.proposal, id);
    return item && decodeProposal(item.doc);
  }

  async listProposals(filter?: { status?: readonly ActionStatus[] }): Promise<ProposedAction[]> {
    const statuses = filter?.status;
    if (statuses?.length === 0) return [];
    const items = await this.#queryAll(
      PK.proposal,
      statuses && {
        FilterExpression: `#doc.#status IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`,
        ExpressionAttributeNames: { '#doc': 'doc', '#status': 'status' },
        ExpressionAttributeValues: Object.fromEntries(statuses.map((s, i) => [`:s${i}`, s])),
      },
    );
    return items.map((i) => decodeProposal(i.doc));
  }

  async transitionProposal(
    id: string,
    from: readonly ActionStatus[],
    to: ActionStatus,
    patch?: { undoData?: Readonly<Record<string, unknown>>; at?: Date },
  ): Promise<ProposedAction> {
    if (from.length === 0) {
      const current = await this.getProposal(id);
      throw new ConditionFailedError(id, current?.status);
    }
    const names: Record<string, string> = { '#doc': 'doc', '#status': 'status', '#changed': 'statusChangedAt' };
    const values: Record<string, unknown> = { ':to': to, ':changed': (patch?.at ?? new Date()).toISOString() };
    from.forEach((s, i) => (values[`:f${i}`] = s));
    const set = ['#doc.#status = :to', '#doc.#changed = :changed'];
    if (patch?.undoData !== undefined) {
      names['#undoData'] = 'undoData';
      values[':undo'] = jsonClone(patch.undoData);
      set.push('#doc.#undoData = :undo');
    }
    // purgeAt is written with every proposal, so the TTL can be restored without a read.
    if (PURGEABLE.has(to)) set.push('expiresAt = purgeAt');
    const update = `SET ${set.join(', ')}${PURGEABLE.has(to) ? '' : ' REMOVE expiresAt'}`;
    try {
      const out = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: PK.proposal, sk: id },
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(pk) AND #doc.#status IN (${from.map((_, i) => `:f${i}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return decodeProposal((out.Attributes as StoredItem).doc);
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      const current = oldItem(err) ?? (await this.#get(PK.proposal, id));
      throw new ConditionFailedError(id, current?.doc['status'] as string | undefined);
    }
  }

  async takeOverProposal(id: string, status: ActionStatus, seenChangedAt: Date | undefined, at: Date): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: PK.proposal, sk: id },
          UpdateExpression: 'SET #doc.#changed = :at',
          ConditionExpression: `attribute_exists(pk) AND #doc.#status = :status AND ${seenChangedAt ? '#doc.#changed = :seen' : 'attribute_not_exists(#doc.#changed)'}`,
          ExpressionAttributeNames: { '#doc': 'doc', '#status': 'status', '#changed': 'statusChangedAt' },
          ExpressionAttributeValues: { ':at': at.toISOString(), ':status': status, ...(seenChangedAt ? { ':seen': seenChangedAt.toISOString() } : {}) },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async decide(d: Decision): Promise<Decision> {
    const doc = jsonClone(d);
    try {
      await this.#put({ pk: PK.decision, sk: d.proposalId, doc }, 'attribute_not_exists(pk)');
      return decodeDecision(doc);
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      const stored = oldItem(err) ?? (await this.#get(PK.decision, d.proposalId));
      if (!stored) throw new CostwatchError(`the decision on ${d.proposalId} was refused but cannot be read back`, { cause: err });
      const first = decodeDecision(stored.doc);
      throw new AlreadyDecidedError(d.proposalId, { verdict: first.verdict, by: first.by, at: first.at });
    }
  }

  async getDecision(proposalId: string): Promise<Decision | undefined> {
    const item = await this.#get(PK.decision, proposalId);
    return item && decodeDecision(item.doc);
  }

  async appendAudit(e: AuditEntry): Promise<void> {
    await this.#put({ pk: PK.audit, sk: auditSortKey(e.at), doc: jsonClone(e) });
  }

  async listAudit(opts?: { since?: Date; limit?: number }): Promise<AuditEntry[]> {
    if (opts?.limit !== undefined && opts.limit <= 0) return [];
    const items = await this.#queryAll(
      PK.audit,
      opts?.since && {
        KeyConditionExpression: 'pk = :pk AND sk >= :since',
        ExpressionAttributeValues: { ':since': opts.since.toISOString() },
      },
      opts?.limit,
    );
    return items.map((i) => decodeAudit(i.doc));
  }

  async putSnooze(s: StoredSnooze): Promise<void> {
    await this.#put({ pk: PK.snooze, sk: s.resourceId, expiresAt: epochSeconds(s.until), doc: jsonClone(s) });
  }

  async activeSnoozes(now: Date): Promise<StoredSnooze[]> {
    const items = await this.#queryAll(PK.snooze, {
      FilterExpression: '#doc.#until > :now',
      ExpressionAttributeNames: { '#doc': 'doc', '#until': 'until' },
      ExpressionAttributeValues: { ':now': now.toISOString() },
    });
    return items.map((i) => decodeSnooze(i.doc));
  }

  async putExemption(e: StoredExemption): Promise<void> {
    await this.#put({
      pk: PK.exemption,
      sk: e.resourceId,
      ...(e.expiresAt ? { expiresAt: epochSeconds(e.expiresAt) } : {}),
      doc: jsonClone(e),
    });
  }

  async activeExemptions(now: Date): Promise<StoredExemption[]> {
    const items = await this.#queryAll(PK.exemption, {
      FilterExpression: 'attribute_not_exists(#doc.#expiresAt) OR #doc.#expiresAt > :now',
      ExpressionAttributeNames: { '#doc': 'doc', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':now': now.toISOString() },
    });
    return items.map((i) => decodeExemption(i.doc));
  }

  async markAlerted(key: string, now: Date, until: Date): Promise<boolean> {
    try {
      await this.#put(
        { pk: PK.alert, sk: key, expiresAt: epochSeconds(until), doc: { key, markedAt: now.toISOString(), until: until.toISOString() } },
        'attribute_not_exists(pk) OR #doc.#until <= :now',
        { '#doc': 'doc', '#until': 'until' },
        { ':now': now.toISOString() },
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async putSlackMessage(m: StoredSlackMessage, expectedState: string | undefined): Promise<boolean> {
    const item = { pk: PK.slack, sk: m.key, expiresAt: epochSeconds(m.updatedAt) + SLACK_MESSAGE_RETENTION_DAYS * 86_400, doc: jsonClone(m) };
    try {
      if (expectedState === undefined) await this.#put(item, 'attribute_not_exists(pk)');
      else await this.#put(item, '#doc.#state = :expected', { '#doc': 'doc', '#state': 'state' }, { ':expected': expectedState });
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async getSlackMessage(key: string): Promise<StoredSlackMessage | undefined> {
    const item = await this.#get(PK.slack, key);
    return item && decodeSlackMessage(item.doc);
  }

  async listSlackMessages(opts?: { since?: Date }): Promise<StoredSlackMessage[]> {
    const items = await this.#queryAll(
      PK.slack,
      opts?.since && {
        FilterExpression: '#doc.#updatedAt >= :since',
        ExpressionAttributeNames: { '#doc': 'doc', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':since': opts.since.toISOString() },
      },
    );
    return items.map((i) => decodeSlackMessage(i.doc));
  }

  async getCached(key: string, now: Date): Promise<unknown> {
    const item = await this.#get(PK.cache, key);
    if (!item?.blob || date(item.doc['expiresAt']).getTime() <= now.getTime()) return undefined;
    return JSON.parse(gunzipSync(item.blob).toString('utf8')) as unknown;
  }

  async putCached(key: string, value: unknown, expiresAt: Date): Promise<void> {
    const blob = gzipSync(JSON.stringify(value));
    if (blob.length > MAX_CACHED_BYTES) {
      throw new CostwatchError(`cache value for ${key} is ${blob.length} bytes gzipped, over the ${MAX_CACHED_BYTES} bytes one item holds`);
    }
    await this.#put({ pk: PK.cache, sk: key, expiresAt: epochSeconds(expiresAt), doc: { key, expiresAt: expiresAt.toISOString() }, blob });
  }

  async reserveDailyActions(day: string, count: number, limit: number): Promise<number> {
    const dayStart = parseDay(day);
    checkSlots('count', count);
    checkSlots('limit', limit);
    const purgeAt = epochSeconds(dayStart) + (1 + DAILY_COUNT_RETENTION_DAYS) * 86_400;
    let want = Math.min(count, limit);
    // Each refusal means fewer slots are left than asked for: ask again for what is left, so a
    // partial grant needs at most a few round trips and the total never passes the limit.
    while (want > 0) {
      try {
        await this.#doc.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: { pk: PK.daily, sk: day },
            UpdateExpression: 'ADD #reserved :want SET expiresAt = :purge',
            ConditionExpression: 'attribute_not_exists(#reserved) OR #reserved <= :room',
            ExpressionAttributeNames: { '#reserved': 'reserved' },
            ExpressionAttributeValues: { ':want': want, ':room': limit - want, ':purge': purgeAt },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return want;
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        const current = oldItem(err) ?? (await this.#get(PK.daily, day));
        // The count only grows, so what is left now is less than `want`; `want - 1` also bounds the loop.
        want = Math.min(want - 1, limit - Number(current?.reserved ?? 0));
      }
    }
    return 0;
  }

  // --- Savings ledger, and lifting snoozes and exemptions ---------------------------------------

  async openSavings(e: SavingsEntry): Promise<SavingsEntry> {
    const doc = encodeSavings(e);
    try {
      await this.#put({ pk: PK.savings, sk: e.id, doc }, 'attribute_not_exists(pk)');
      return decodeSavings(doc);
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      const stored = oldItem(err) ?? (await this.#get(PK.savings, e.id));
      if (!stored) throw new CostwatchError(`the savings entry ${e.id} was refused but cannot be read back`, { cause: err });
      return decodeSavings(stored.doc);
    }
  }

  async closeSavings(id: string, at: Date, reason: SavingsCloseReason, detail: string): Promise<SavingsEntry | undefined> {
    const current = await this.#get(PK.savings, id);
    if (!current || current.doc['closedAt'] !== undefined) return undefined;
    const opened = date(current.doc['openedAt']);
    const closedAt = (at < opened ? opened : at).toISOString();
    try {
      const out = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: PK.savings, sk: id },
          UpdateExpression: 'SET #doc.#closedAt = :at, #doc.#reason = :reason, #doc.#detail = :detail',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#doc.#closedAt)',
          ExpressionAttributeNames: { '#doc': 'doc', '#closedAt': 'closedAt', '#reason': 'closeReason', '#detail': 'closeDetail' },
          ExpressionAttributeValues: { ':at': closedAt, ':reason': reason, ':detail': detail },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return decodeSavings((out.Attributes as StoredItem).doc);
    } catch (err) {
      if (isConditionFailed(err)) return undefined;
      throw err;
    }
  }

  async listSavings(opts?: { since?: Date; open?: boolean }): Promise<SavingsEntry[]> {
    const filter = opts?.open
      ? { FilterExpression: 'attribute_not_exists(#doc.#closedAt)', ExpressionAttributeNames: { '#doc': 'doc', '#closedAt': 'closedAt' } }
      : opts?.since
        ? {
            FilterExpression: 'attribute_not_exists(#doc.#closedAt) OR #doc.#closedAt >= :since',
            ExpressionAttributeNames: { '#doc': 'doc', '#closedAt': 'closedAt' },
            ExpressionAttributeValues: { ':since': opts.since.toISOString() },
          }
        : undefined;
    const items = await this.#queryAll(PK.savings, filter);
    return items.map((i) => decodeSavings(i.doc)).sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime() || a.id.localeCompare(b.id));
  }

  async deleteSnooze(resourceId: string): Promise<boolean> {
    return this.#delete(PK.snooze, resourceId);
  }

  async deleteExemption(resourceId: string): Promise<boolean> {
    return this.#delete(PK.exemption, resourceId);
  }

  async #delete(pk: string, sk: string): Promise<boolean> {
    const out = await this.#doc.send(new DeleteCommand({ TableName: this.#table, Key: { pk, sk }, ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }

  // ----------------------------------------------------------------------------------------------

  /** The client is injected, so its owner destroys it; adapters that own resources override this. */
  async usageWatermarks(scope: string): Promise<UsageWatermark[]> {
    const items = await this.#queryAll(`${PK.watermark}#${scope}`);
    return items.map((i) => decodeWatermark(i.doc)).filter((m) => Object.keys(m.due).length > 0);
  }

  async putUsageWatermarks(marks: readonly UsageWatermark[]): Promise<void> {
    // PutItem only (the functions' role has no BatchWriteItem or DeleteItem): a cleared watermark
    // is written empty and left to TTL. Only changed watermarks are written, so few per scan.
    await mapLimit(marks, WATERMARK_WRITES_IN_FLIGHT, async (m) => {
      const dues = Object.values(m.due).map((d) => d.at.getTime());
      const keepUntil = dues.length > 0 ? Math.max(...dues) + WATERMARK_RETENTION_DAYS * 86_400_000 : m.updatedAt.getTime() + 86_400_000;
      await this.#put({ pk: `${PK.watermark}#${m.scope}`, sk: m.resourceId, expiresAt: epochSeconds(new Date(keepUntil)), doc: jsonClone(m) });
    });
  }

  async close(): Promise<void> {}

  /** Updates every refreshable field of an open proposal; undefined when the proposal is gone. */
  async #refreshOpenProposal(doc: Doc, purgeAt: number): Promise<ProposedAction | undefined> {
    const names: Record<string, string> = { '#doc': 'doc', '#status': 'status' };
    const values: Record<string, unknown> = { ':proposed': 'proposed', ':purge': purgeAt };
    const set = ['purgeAt = :purge', 'expiresAt = :purge'];
    const remove: string[] = [];
    REFRESHABLE.forEach((field, i) => {
      names[`#r${i}`] = field;
      if (doc[field] === undefined) {
        remove.push(`#doc.#r${i}`);
      } else {
        values[`:r${i}`] = doc[field];
        set.push(`#doc.#r${i} = :r${i}`);
      }
    });
    const id = doc['id'] as string;
    try {
      const out = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: PK.proposal, sk: id },
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: '#doc.#status = :proposed',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return decodeProposal((out.Attributes as StoredItem).doc);
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      const stored = oldItem(err) ?? (await this.#get(PK.proposal, id));
      return stored && decodeProposal(stored.doc);
    }
  }

  async #put(
    item: StoredItem,
    condition?: string,
    names?: Record<string, string>,
    values?: Record<string, unknown>,
  ): Promise<void> {
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: item,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: condition ? 'ALL_OLD' : undefined,
      }),
    );
  }

  async #get(pk: string, sk: string): Promise<StoredItem | undefined> {
    const out = await this.#doc.send(new GetCommand({ TableName: this.#table, Key: { pk, sk }, ConsistentRead: true }));
    return out.Item as StoredItem | undefined;
  }

  /** Every item of a partition, oldest sort key first, following LastEvaluatedKey. */
  async #queryAll(
    pk: string,
    extra?: Pick<QueryCommandInput, 'KeyConditionExpression' | 'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
    limit?: number,
  ): Promise<StoredItem[]> {
    const items: StoredItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: extra?.KeyConditionExpression ?? 'pk = :pk',
          FilterExpression: extra?.FilterExpression,
          ExpressionAttributeNames: extra?.ExpressionAttributeNames,
          ExpressionAttributeValues: { ...extra?.ExpressionAttributeValues, ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
          // Only safe without a filter: Limit counts items before filtering.
          Limit: limit !== undefined && !extra?.FilterExpression ? limit - items.length : undefined,
        }),
      );
      items.push(...((out.Items ?? []) as StoredItem[]));
      startKey = out.LastEvaluatedKey;
    } while (startKey && (limit === undefined || items.length < limit));
    return limit === undefined ? items : items.slice(0, limit);
  }
}

function isConditionFailed(err: unknown): err is ConditionalCheckFailedException {
  return err instanceof ConditionalCheckFailedException || (err as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

/** The item DynamoDB returns with ReturnValuesOnConditionCheckFailure (dynalite never does); still in wire format. */
function oldItem(err: ConditionalCheckFailedException): StoredItem | undefined {
  const raw = (err as { Item?: Record<string, AttributeValue> }).Item;
  return raw ? (unmarshall(raw) as StoredItem) : undefined;
}

/** Start of a `YYYY-MM-DD` UTC day; a clear error for anything else. */
function parseDay(day: string): Date {
  const start = new Date(`${day}T00:00:00.000Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== day) {
    throw new CostwatchError(`day must be a UTC date as YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
  return start;
}

function checkSlots(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new CostwatchError(`${name} must be a whole number ≥ 0, got ${n}`);
}

function epochSeconds(d: Date): number {
  // Rounded up so TTL never removes an item before the moment it stands for.
  return Math.ceil(d.getTime() / 1000);
}

/**
 * Dates become ISO strings, undefined fields disappear, class instances become plain maps: the
 * shape DynamoDB can hold whatever marshalling options the injected client was built with.
 */
function jsonClone(value: unknown): Doc {
  return JSON.parse(JSON.stringify(value)) as Doc;
}

function encodeProposal(p: ProposedAction): Doc {
  // Only the reference's own fields: a full Resource passed as a ref would drag its dates along.
  const { cloud, scopeId, region, kind, id, name } = p.resource;
  return jsonClone({ ...p, resource: { cloud, scopeId, region, kind, id, name } });
}

// Dates are revived per field, never by guessing from the string: a parameter may look like a date.
function decodeProposal(doc: Doc): ProposedAction {
  const p = { ...(doc as unknown as ProposedAction), createdAt: date(doc['createdAt']), expiresAt: date(doc['expiresAt']) };
  // statusChangedAt is absent on proposals stored before the field existed: left absent, never guessed.
  const withChange = doc['statusChangedAt'] === undefined ? p : { ...p, statusChangedAt: date(doc['statusChangedAt']) };
  return doc['dueAt'] === undefined ? withChange : { ...withChange, dueAt: date(doc['dueAt']) };
}

function decodeDecision(doc: Doc): Decision {
  return { ...(doc as unknown as Decision), at: date(doc['at']) };
}

function decodeAudit(doc: Doc): AuditEntry {
  return { ...(doc as unknown as AuditEntry), at: date(doc['at']) };
}

function decodeSnooze(doc: Doc): StoredSnooze {
  return { ...(doc as unknown as StoredSnooze), until: date(doc['until']) };
}

function decodeExemption(doc: Doc): StoredExemption {
  const e = { ...(doc as unknown as StoredExemption), createdAt: date(doc['createdAt']) };
  return doc['expiresAt'] === undefined ? e : { ...e, expiresAt: date(doc['expiresAt']) };
}

function encodeSavings(e: SavingsEntry): Doc {
  const { cloud, scopeId, region, kind, id, name } = e.resource;
  return jsonClone({ ...e, resource: { cloud, scopeId, region, kind, id, name } });
}

function decodeSavings(doc: Doc): SavingsEntry {
  const e = { ...(doc as unknown as SavingsEntry), openedAt: date(doc['openedAt']) };
  return {
    ...e,
    ...(doc['endsBy'] !== undefined ? { endsBy: date(doc['endsBy']) } : {}),
    ...(doc['closedAt'] !== undefined ? { closedAt: date(doc['closedAt']) } : {}),
  };
}

function decodeSlackMessage(doc: Doc): StoredSlackMessage {
  return {
    ...(doc as unknown as StoredSlackMessage),
    ...(doc['finding'] !== undefined ? { finding: decodeFinding(doc['finding'] as Doc) } : {}),
    postedAt: date(doc['postedAt']),
    updatedAt: date(doc['updatedAt']),
  };
}

function decodeFinding(doc: Doc): Finding {
  const f = { ...(doc as unknown as Finding), detectedAt: date(doc['detectedAt']) };
  const budget = doc['budget'] as Doc | undefined;
  const period = budget?.['period'] as Doc | undefined;
  return {
    ...f,
    ...(doc['lastActivity'] !== undefined ? { lastActivity: date(doc['lastActivity']) } : {}),
    ...(budget ? { budget: { ...(budget as unknown as NonNullable<Finding['budget']>), ...(period ? { period: { start: date(period['start']), end: date(period['end']) } } : {}) } } : {}),
  };
}

function date(value: unknown): Date {
  const d = new Date(value as string);
  if (Number.isNaN(d.getTime())) throw new CostwatchError(`the state table holds an invalid date: ${String(value)}`);
  return d;
}

/**
 * ISO time first so Query returns entries in time order; the machine's monotonic clock keeps
 * same-millisecond entries of one process in append order; the random tail keeps writers on
 * different machines from overwriting each other.
 */
function auditSortKey(at: Date): string {
  return `${at.toISOString()}#${process.hrtime.bigint().toString().padStart(20, '0')}#${randomBytes(4).toString('hex')}`;
}

function decodeWatermark(doc: Doc): UsageWatermark {
  const due: Record<string, WatermarkDue> = {};
  for (const [rule, d] of Object.entries((doc['due'] ?? {}) as Record<string, { at: string; why: string; finding?: Doc; basis?: unknown }>)) {
    due[rule] = { at: new Date(d.at), why: d.why, ...(d.finding ? { finding: decodeFinding(d.finding) } : {}), ...(typeof d.basis === 'string' ? { basis: d.basis } : {}) };
  }
  return {
    scope: String(doc['scope']),
    resourceId: String(doc['resourceId']),
    ...(typeof doc['createdAt'] === 'string' ? { createdAt: new Date(doc['createdAt']) } : {}),
    due,
    updatedAt: new Date(String(doc['updatedAt'])),
  };
}
