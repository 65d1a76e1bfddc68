import { idleEndpoint } from './idle-endpoint.js';
import { idleNotebook } from './idle-notebook.js';
import { idleStudioApp } from './idle-studio-app.js';
import { longTrainingJob } from './long-training-job.js';
import { idleCluster } from './idle-cluster.js';
import { underusedEndpoint } from './underused-endpoint.js';
import type { CostRule, ResourceRule } from './types.js';
import { budgetBreach } from './budget-breach.js';
import { coldArtifacts } from './cold-artifacts.js';
import { costAnomaly } from './cost-anomaly.js';
import { forecastBreach } from './forecast-breach.js';
import { spotTraining } from './spot-training.js';
import { untaggedResources, untaggedShare } from './untagged-spend.js';
import { commitmentCoverage } from './commitment-coverage.js';
import { autoscalingFloor } from './autoscaling-floor.js';
import { launchGuard } from './launch-guard.js';
import { billingCap } from './billing-cap.js';

/** Every resource rule, explicitly listed: adding a rule is one file and one line here. */
export const RESOURCE_RULES: readonly ResourceRule<never>[] = [
  idleEndpoint as ResourceRule<never>,
  underusedEndpoint as ResourceRule<never>,
  idleNotebook as ResourceRule<never>,
  idleStudioApp as ResourceRule<never>,
  longTrainingJob as ResourceRule<never>,
  idleCluster as ResourceRule<never>,
  coldArtifacts as ResourceRule<never>,
  spotTraining as ResourceRule<never>,
  untaggedResources as ResourceRule<never>,
  autoscalingFloor as ResourceRule<never>,
  launchGuard as ResourceRule<never>,
  billingCap as ResourceRule<never>,
];

export type { ResourceRule, ResourceRuleInput, RuleResult } from './types.js';
export { idleEndpoint } from './idle-endpoint.js';
export { underusedEndpoint } from './underused-endpoint.js';
export { idleNotebook } from './idle-notebook.js';
export { idleStudioApp } from './idle-studio-app.js';
export { longTrainingJob } from './long-training-job.js';
export { idleCluster } from './idle-cluster.js';

/** Rules whose findings are advice (spot capacity, tags, commitments): reported apart from waste, never acted on. */
export const ADVICE_RULE_IDS: readonly string[] = ['spot-training', 'untagged-spend', 'commitment-coverage'];

/** Every cost rule (budgets, forecasts, anomalies): they read a scan's cost data, not one resource. */
export const COST_RULES: readonly CostRule<never>[] = [
  budgetBreach as CostRule<never>,
  forecastBreach as CostRule<never>,
  costAnomaly as CostRule<never>,
  untaggedShare as CostRule<never>,
  commitmentCoverage as CostRule<never>,
];

export type { CostRule, CostRuleInput, CostScope } from './types.js';
export { budgetBreach } from './budget-breach.js';
export { forecastBreach } from './forecast-breach.js';
export { costAnomaly } from './cost-anomaly.js';
export { coldArtifacts } from './cold-artifacts.js';
export { spotTraining } from './spot-training.js';
export { untaggedResources, untaggedShare } from './untagged-spend.js';
export { commitmentCoverage } from './commitment-coverage.js';
export { autoscalingFloor } from './autoscaling-floor.js';
export { launchGuard } from './launch-guard.js';
export { billingCap } from './billing-cap.js';
