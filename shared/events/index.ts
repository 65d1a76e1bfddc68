/** Cloud events: one parser per source, a normalized event, event → findings, alert-once dedup, receivers. */
export * from './event.js';
export { parseEvent, detectSource, isEventSource, PARSERS } from './parse.js';
export { parseAwsBudgets, parseAwsBudgetText } from './aws-budgets.js';
export { parseAwsAnomaly } from './aws-anomaly.js';
export { parseSageMakerEvent, SAGEMAKER_DETAIL_TYPES } from './sagemaker.js';
export { parseGcpBudget } from './gcp-budget.js';
export { parseAzureBudget } from './azure-budget.js';
export {
  anomalyFindings,
  budgetFindings,
  trainingJobFindings,
  eventSummary,
  BUDGET_BREACH,
  FORECAST_BREACH,
  COST_ANOMALY,
  LONG_TRAINING_JOB,
  NEW_RESOURCE,
  type Raised,
  type RaisedFinding,
} from './findings.js';
export { AlertDedup, DEFAULT_LEASE_MS, type Claim } from './dedup.js';
export { watchResource, WatchError, NEW_RESOURCE_WINDOW_HOURS, type WatchDeps } from './watch.js';
export { handleCloudEvent, type EventDeps, type EventOutcome } from './handle.js';
export { verifyGooglePushToken, verifyUrlToken, WebhookAuthError, GOOGLE_ISSUERS, GOOGLE_JWKS_URL, type GooglePushIdentity } from './auth.js';
export { verifyEntraToken, entraIssuers, entraJwksUrl, AZURE_ACTION_GROUP_APP_ID, type EntraWebhookIdentity } from './auth.js';
export { httpRequestOf, receiveAzureAlert, receiveEventBridge, receiveGcpPush, receiveSns, type EventLog, type FunctionUrlEvent, type HttpRequest, type HttpResponse, type WebhookDeps } from './receive.js';
