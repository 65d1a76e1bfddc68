export * from './money.js';
export * from './resource.js';
export * from './usage.js';
export * from './cost.js';
export * from './budget.js';
export * from './finding.js';
export * from './action.js';
export * from './decision.js';
