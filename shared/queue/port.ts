import * as z from '../util/check.js';
import { CostwatchError } from '../errors.js';

const id = z.string().min(1).max(2000);
const at = z.iso.datetime({ offset: true });

/** Where to answer the person who clicked: an ephemeral reply, and the message they clicked on. */
const ReplyToSchema = z.strictObject({
  channel: z.string().min(1).max(255),
  user: z.string().min(1).max(255),
  /** The message clicked on, when the click came from one. */
  ts: z.string().min(1).max(64).optional(),
});

/**
 * Work the interaction handler hands to the executor, so Slack gets its acknowledgement within
 * three seconds whatever the cloud does:
 * - `execute`: run an approved proposal (re-check, save undo data, act), then update its message;
 * - `undo`: reverse an executed proposal, then update its message;
 * - `refresh`: re-render a proposal's message (after a snooze, an exemption, an expired click);
 * - `reply`: tell one person something only they see;
 * - `home`: publish one person's App Home again (opened, or clicked in), with a notice at its top.
 */
export const ExecutionJobSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('execute'), proposalId: id, actor: id, requestedAt: at, replyTo: ReplyToSchema.optional() }),
  z.strictObject({ type: z.literal('undo'), proposalId: id, actor: id, requestedAt: at, replyTo: ReplyToSchema.optional() }),
  z.strictObject({ type: z.literal('refresh'), proposalId: id, requestedAt: at }),
  z.strictObject({ type: z.literal('reply'), channel: z.string().min(1).max(255), user: z.string().min(1).max(255), text: z.string().min(1).max(3000), requestedAt: at }),
  z.strictObject({ type: z.literal('home'), user: z.string().min(1).max(255), notice: z.string().min(1).max(3000).optional(), requestedAt: at }),
]);

/** One unit of work for the executor. */
export type ExecutionJob = z.infer<typeof ExecutionJobSchema>;

/** A queue message that is not an ExecutionJob; it is dead-lettered with this reason. */
export class InvalidJobError extends CostwatchError {}

/** Parses a queue message body into a job, or throws InvalidJobError saying what is wrong. */
export function parseExecutionJob(body: string): ExecutionJob {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new InvalidJobError(`not JSON: ${JSON.stringify(body.slice(0, 80))}`);
  }
  const parsed = ExecutionJobSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidJobError(`not an execution job: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Where approved work waits for the executor: SQS when deployed, in-process for local runs and tests. */
export interface ExecutionQueue {
  enqueue(job: ExecutionJob): Promise<void>;
}
