import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { buildProviders, priceBook, scanOptionsFor } from '../shared/app/compose.js';
import { loadPolicy } from '../shared/config/load.js';
import { systemClock } from '../shared/clock.js';
import { runScan } from '../shared/pipeline/scan.js';
import { DynamoStateStore } from '../shared/store/dynamo-store.js';
import { loadEnv } from './lib/env.js';
import { logger } from './lib/observability.js';

const env = loadEnv(['STATE_TABLE', 'POLICY_FILE']);
const store = new DynamoStateStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: env.STATE_TABLE });

/** Scheduled scan: every scope of the bundled policy, findings and proposals persisted. */
async function scan(): Promise<{ findings: number; proposals: number; failures: number }> {
  const { policy, warnings } = await loadPolicy(env.POLICY_FILE);
  for (const w of warnings) logger.warn('policy warning', { ...w });
  const report = await runScan(scanOptionsFor(policy, { now: () => systemClock.now() }), {
    providers: buildProviders(policy),
    store,
    clock: systemClock,
    prices: priceBook(policy),
  });
  const failures = report.findings.filter((f) => f.state === 'failure');
  for (const f of failures) logger.error('collection failed', { finding: f.id, evidence: f.evidence });
  logger.info('scan done', { findings: report.findings.length, proposals: report.proposals.length, wastePerMonth: report.wastePerMonth });
  return { findings: report.findings.length, proposals: report.proposals.length, failures: failures.length };
}

export const handler = middy(scan).use(injectLambdaContext(logger, { clearState: true }));
