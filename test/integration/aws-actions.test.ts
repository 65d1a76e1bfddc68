import {
  AddTagsCommand,
  DescribeAppCommand,
  DescribeNotebookInstanceCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
  StopProcessingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionDefinition } from '../../shared/actions/index.js';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import type { ProposedAction } from '../../shared/domain/action.js';
import { executeProposal, undoProposal, type ExecutorDeps } from '../../shared/pipeline/execute.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const ACCOUNT = '222222222222';

const world = defineWorld({
  version: 1,
  now: '2025-06-18T12:00:00Z',
  aws: {
    accounts: [
      {
        id: ACCOUNT,
        name: 'ml-dev',
        regions: {
          'us-east-1': {
            sagemaker: {
              notebookInstances: [
                { name: 'idle-nb', instanceType: 'ml.g4dn.xlarge', lastModifiedAt: '-2d', tags: { team: 'research' }, metrics: { cpu: { constant: 1 } } },
                { name: 'soon-exempt-nb', instanceType: 'ml.t3.medium', lastModifiedAt: '-2d', metrics: { cpu: { constant: 1 } } },
              ],
              studioDomains: [
                {
                  name: 'studio',
                  id: 'd-actions1',
                  userProfiles: ['ana'],
                  spaces: [{ name: 'ana-lab', owner: 'ana', storageGb: 20 }],
                  apps: [{ type: 'JupyterLab', space: 'ana-lab', instanceType: 'ml.g5.xlarge', createdAt: '-3d', lastUserActivity: '-26h' }],
                },
              ],
              trainingJobs: [{ name: 'runaway', instanceType: 'ml.p3.2xlarge', instanceCount: 2, createdAt: '-100h', maxRuntimeSeconds: 1_209_600 }],
              processingJobs: [{ name: 'stuck-features', instanceType: 'ml.m5.xlarge', createdAt: '-90h' }],
            },
          },
        },
      },
    ],
  },
});

const POLICY = `
version: 1
clouds:
  aws:
    accounts:
      - id: "${ACCOUNT}"
        regions: [us-east-1]
rules:
  idle-notebook: { mode: approve }
  idle-studio-app: { mode: approve }
  long-training-job: { mode: auto }
`;

describe('SageMaker actions through the executor, against the sandbox cloud', () => {
  let sb: Sandbox;
  let store: StateStore;
  let policy: Policy;
  let proposals: readonly ProposedAction[];
  let deps: ExecutorDeps;
  let sm: SageMakerClient;

  beforeAll(async () => {
    sb = await startSandbox({ world });
    store = await openMemoryStore();
    policy = parsePolicy(POLICY, 'costwatch.yml').policy;
    const providers = buildProviders(policy, { aws: { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials } });
    const options = scanOptionsFor(policy, { now: () => sb.clock.now(), dryRun: false });
    const report = await runScan(options, { providers, store, clock: sb.clock, prices: priceBook(policy) });
    proposals = report.proposals;
    deps = {
      store,
      providers,
      rules: new Map(options.rules.map((r) => [r.rule.id, r])),
      policy: options.policy,
      prices: priceBook(policy),
      clock: sb.clock,
      lookbackHours: options.lookbackHours,
    };
    sm = new SageMakerClient({ endpoint: sb.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials(ACCOUNT) });
  });
  afterAll(async () => {
    await sb.close();
  });

  async function approve(kind: string, name: string): Promise<string> {
    const p = proposals.find((x) => x.kind === kind && x.resource.name === name);
    if (!p) throw new Error(`no ${kind} proposal for ${name}: ${proposals.map((x) => `${x.kind} ${x.resource.name}`).join(', ')}`);
    await store.decide({ proposalId: p.id, verdict: 'approve', by: 'U123', at: sb.clock.now(), via: 'slack' });
    await store.transitionProposal(p.id, ['proposed'], 'approved');
    return p.id;
  }

  it('proposes stopping the irreversible jobs for approval even in auto mode', () => {
    const training = proposals.find((p) => p.kind === 'aws.sagemaker.stop-training-job');
    const processing = proposals.find((p) => p.kind === 'aws.sagemaker.stop-processing-job');

    expect(training).toMatchObject({ mode: 'approve', modeReason: 'Stop training job is not reversible: approval required', reversible: false, status: 'proposed' });
    expect(processing).toMatchObject({ mode: 'approve', reversible: false });
    expect(actionDefinition('aws.sagemaker.stop-training-job').autoAllowed).toBe(false);
  });

  it('stops an idle notebook, saving what undo needs first, and starts it again on Undo', async () => {
    const id = await approve('aws.sagemaker.stop-notebook-instance', 'idle-nb');

    const done = await executeProposal(id, 'U123', deps);
    const stopped = await sm.send(new DescribeNotebookInstanceCommand({ NotebookInstanceName: 'idle-nb' }));
    const saved = await store.getProposal(id);
    const opened = (await store.listSavings()).find((e) => e.id === id);
    sb.clock.advance(5 * 3_600_000);
    const undone = await undoProposal(id, 'U123', deps);
    const closed = (await store.listSavings()).find((e) => e.id === id);
    const started = await sm.send(new DescribeNotebookInstanceCommand({ NotebookInstanceName: 'idle-nb' }));

    expect(done).toMatchObject({ outcome: 'executed', detail: expect.stringContaining('stopped notebook instance idle-nb') });
    expect(stopped.NotebookInstanceStatus).toBe('Stopped');
    expect(saved?.undoData).toMatchObject({ notebookInstanceName: 'idle-nb', instanceType: 'ml.g4dn.xlarge', status: 'InService', tags: { team: 'research' } });
    expect(undone).toMatchObject({ outcome: 'undone', detail: 'started notebook instance idle-nb again' });
    expect(started.NotebookInstanceStatus).toBe('InService');
    expect(sb.calls()).toMatchObject({ 'sagemaker.StopNotebookInstance': 1, 'sagemaker.StartNotebookInstance': 1 });
    // The ledger counts the notebook's rate from the stop until the undo, five hours later.
    expect(opened).toMatchObject({ ruleId: 'idle-notebook', team: 'research', arithmetic: expect.stringMatching(/^ml\.g4dn\.xlarge \$[\d.]+\/h × 1 = /) });
    expect(opened?.closedAt).toBeUndefined();
    expect(closed).toMatchObject({ closeReason: 'undone', closeDetail: 'undone by U123' });
    expect(closed!.closedAt!.getTime() - closed!.openedAt.getTime()).toBe(5 * 3_600_000);
  });

  it('re-reads the notebook before acting and cancels when it became exempt', async () => {
    const id = await approve('aws.sagemaker.stop-notebook-instance', 'soon-exempt-nb');
    await sm.send(new AddTagsCommand({ ResourceArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:notebook-instance/soon-exempt-nb`, Tags: [{ Key: 'costwatch:exempt', Value: 'true' }] }));

    const outcome = await executeProposal(id, 'U123', deps);
    const nb = await sm.send(new DescribeNotebookInstanceCommand({ NotebookInstanceName: 'soon-exempt-nb' }));

    expect(outcome).toMatchObject({ outcome: 'cancelled', detail: 'exempt: tag costwatch:exempt=true' });
    expect(nb.NotebookInstanceStatus).toBe('InService');
  });

  it('deletes an idle Studio app and says plainly that Undo cannot bring it back', async () => {
    const id = await approve('aws.sagemaker.delete-studio-app', 'ana-lab/JupyterLab/default');

    const done = await executeProposal(id, 'U123', deps);
    const app = await sm.send(new DescribeAppCommand({ DomainId: 'd-actions1', AppType: 'JupyterLab', AppName: 'default', SpaceName: 'ana-lab' }));
    const undo = await undoProposal(id, 'U123', deps);

    expect(done).toMatchObject({ outcome: 'executed', detail: expect.stringContaining("the user's files stay in space ana-lab's storage") });
    expect(app.Status).toBe('Deleted');
    expect((await store.getProposal(id))?.undoData).toMatchObject({ domainId: 'd-actions1', spaceName: 'ana-lab', appType: 'JupyterLab', instanceType: 'ml.g5.xlarge' });
    expect(undo).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('cannot undo: none: a deleted app cannot be restored') });
  });

  it('stops a runaway training job once approved; it cannot be undone', async () => {
    const id = await approve('aws.sagemaker.stop-training-job', 'runaway');

    const done = await executeProposal(id, 'U123', deps);
    const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: 'runaway' }));
    const undo = await undoProposal(id, 'U123', deps);
    const again = await executeProposal(id, 'U123', deps);

    expect(done.outcome).toBe('executed');
    expect((await store.listSavings()).find((e) => e.id === id)).toMatchObject({ hourly: { amount: expect.any(Number) as number, currency: 'USD' }, arithmetic: expect.stringContaining('ml.p3.2xlarge') as string });
    expect([job.TrainingJobStatus, job.SecondaryStatus]).toEqual(['Stopped', 'Stopped']);
    expect(job.TrainingEndTime).toEqual(sb.clock.now());
    expect(undo).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('cannot undo: none: a stopped training job cannot be resumed') });
    expect(again).toMatchObject({ outcome: 'skipped' });
    expect(sb.calls()['sagemaker.StopTrainingJob']).toBe(1);
  });

  it('cancels stopping a job that is no longer running when the approval comes', async () => {
    const id = await approve('aws.sagemaker.stop-processing-job', 'stuck-features');
    // Someone stops it by hand before the approval arrives.
    await sm.send(new StopProcessingJobCommand({ ProcessingJobName: 'stuck-features' }));

    const outcome = await executeProposal(id, 'U123', deps);

    expect(outcome).toMatchObject({ outcome: 'cancelled', detail: 'stuck-features is now Stopped' });
  });
});
