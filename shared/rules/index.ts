import { idleEndpoint } from './idle-endpoint.js';
import type { ResourceRule } from './types.js';

/** Every resource rule, explicitly listed: adding a rule is one file and one line here. */
export const RESOURCE_RULES: readonly ResourceRule<never>[] = [idleEndpoint as ResourceRule<never>];

export type { ResourceRule, ResourceRuleInput, RuleResult } from './types.js';
export { idleEndpoint } from './idle-endpoint.js';
