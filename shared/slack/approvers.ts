import { systemClock, type Clock } from '../clock.js';
import { CostwatchError } from '../errors.js';
import type { SlackApi } from './api.js';

/** The configured approvers: user ids and user group ids. */
export interface ApproverList {
  readonly users: readonly string[];
  readonly userGroups: readonly string[];
}

/** A user group's members could not be read, so nobody outside `users` can be shown to be an approver. */
export class ApproverLookupError extends CostwatchError {}

/** Decides whether a Slack user may approve, undo and exempt. */
export interface ApproverCheck {
  readonly list: ApproverList;
  /** True for a listed user or a member of a listed user group; throws ApproverLookupError when a group cannot be read. */
  isApprover(userId: string): Promise<boolean>;
}

/** How long a user group's member list is trusted before it is read again. */
export const USERGROUP_CACHE_MS = 5 * 60_000;

/**
 * Approvers from the policy. Group members are read with `usergroups.users.list` and kept for five
 * minutes per process, so a click costs no Slack call in the common case; a failed read refuses
 * (fails closed) rather than guessing.
 */
export function approverCheck(list: ApproverList, api: Pick<SlackApi, 'usergroupMembers'> | undefined, opts: { clock?: Clock; cacheMs?: number } = {}): ApproverCheck {
  const clock = opts.clock ?? systemClock;
  const ttl = opts.cacheMs ?? USERGROUP_CACHE_MS;
  const cache = new Map<string, { members: ReadonlySet<string>; until: number }>();
  const membersOf = async (group: string): Promise<ReadonlySet<string>> => {
    const now = clock.now().getTime();
    const hit = cache.get(group);
    if (hit && hit.until > now) return hit.members;
    if (!api) throw new ApproverLookupError(`user group ${group} is an approver but no Slack client is configured to read it`);
    let members: string[];
    try {
      members = await api.usergroupMembers(group);
    } catch (err) {
      throw new ApproverLookupError(`could not read the members of user group ${group}: ${(err as Error).message}`, { cause: err });
    }
    const set = new Set(members);
    cache.set(group, { members: set, until: now + ttl });
    return set;
  };
  return {
    list,
    async isApprover(userId: string): Promise<boolean> {
      if (list.users.includes(userId)) return true;
      for (const g of list.userGroups) if ((await membersOf(g)).has(userId)) return true;
      return false;
    },
  };
}
