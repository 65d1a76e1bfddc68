import type { QuietHours } from '../config/policy.js';
import type { ResourceRule, RuleResult } from './types.js';
import { dateAttribute, duration, lastQuietStretch, monthlyWaste, noPriceLine, numberAttribute, quietHoursText, rateOf, utc } from './helpers.js';

/** Settings of the idle-studio-app rule (`rules.idle-studio-app` plus the policy's quiet hours). */
export interface IdleStudioAppSettings {
  /** Hours without user activity that make an app idle. */
  readonly windowHours: number;
  readonly quietHours?: QuietHours | undefined;
}

/** Studio app kinds this rule judges. */
export const STUDIO_APP_KINDS = ['aws.sagemaker.studio-app'] as const;

/**
 * `idle-studio-app`: a Studio app (JupyterLab, Code Editor, KernelGateway) InService whose space
 * shows no activity for the window. The activity costwatch can read:
 * - `LastUserActivityTimestamp` of DescribeApp — but AWS documents that health checks set it to
 *   the health check's own time, so it is activity only when it differs from
 *   `LastHealthCheckTimestamp`; then no activity for the window is idle, high confidence;
 * - otherwise, running through the last quiet hours: idle by night, medium confidence — unless
 *   Studio's built-in idle shutdown is on for the space, which is then trusted;
 * - otherwise usage is unknown: reported, never acted on.
 */
export const idleStudioApp: ResourceRule<IdleStudioAppSettings> = {
  id: 'idle-studio-app',
  title: 'Idle SageMaker Studio app',
  explanation: 'A Studio app bills its instance every hour it is InService, whether or not anyone works in it.',
  kinds: STUDIO_APP_KINDS,
  // Judged on the app's own activity timestamps, read with the inventory.
  signals: [],
  severity: 'medium',
  actions: { 'aws.sagemaker.studio-app': 'aws.sagemaker.delete-studio-app' },
  evaluate({ resource: r, settings, now, prices }): RuleResult {
    if (!(STUDIO_APP_KINDS as readonly string[]).includes(r.kind)) return { state: 'not-applicable', reason: `kind ${r.kind}` };
    if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
    if (r.components.every((c) => c.instanceCount === 0)) return { state: 'not-applicable', reason: 'runs on the free system instance' };
    const since = r.createdAt;
    const windowMs = settings.windowHours * 3_600_000;
    if (since && now.getTime() - since.getTime() < windowMs) {
      return { state: 'not-applicable', reason: `running for ${duration(now.getTime() - since.getTime())}, less than the ${settings.windowHours} h window` };
    }
    const type = r.components[0]?.instanceType ?? '?';
    const space = typeof r.attributes['spaceName'] === 'string' ? `space ${r.attributes['spaceName']}` : `user profile ${String(r.attributes['userProfileName'] ?? '?')}`;
    const runningLine = `${String(r.attributes['appType'] ?? 'app')} on ${type} in ${space}, InService${since ? ` since ${utc(since)} (${duration(now.getTime() - since.getTime())})` : ''}`;
    const idleShutdown = numberAttribute(r, 'idleShutdownMinutes');
    const rate = rateOf(r, 'studio', prices);
    const priced = (evidence: string[]) => {
      if (rate) return { waste: monthlyWaste(rate) };
      evidence.push(noPriceLine(r, 'studio'));
      return {};
    };

    const activity = dateAttribute(r, 'lastUserActivity');
    if (activity) {
      const quietFor = now.getTime() - activity.getTime();
      if (quietFor < windowMs) return { state: 'ok', evidence: [`user activity ${duration(quietFor)} ago`] };
      const evidence = [
        runningLine,
        `last user activity ${utc(activity)} (${duration(quietFor)} ago; LastUserActivityTimestamp, distinct from the health checks)`,
        idleShutdown !== undefined ? `Studio idle shutdown (${idleShutdown} min) should have stopped it, yet it is still running` : 'Studio idle shutdown is not enabled for it',
        "deleting the app keeps the user's files in the space's storage",
      ];
      return { state: 'violation', title: `Studio app ${r.name} has had no user activity for ${duration(quietFor)}`, evidence, confidence: 'high', lastActivity: activity, ...priced(evidence) };
    }
    if (idleShutdown !== undefined) return { state: 'not-applicable', reason: `Studio idle shutdown stops it after ${idleShutdown} min idle` };
    const quiet = settings.quietHours ? lastQuietStretch(settings.quietHours, now, settings.windowHours) : undefined;
    if (settings.quietHours && quiet && since && since.getTime() <= quiet.start.getTime()) {
      const evidence = [
        runningLine,
        `ran through the quiet hours ${quietHoursText(settings.quietHours)}: ${utc(quiet.start)} to ${quiet.ongoing ? 'now' : utc(quiet.end)}, when nobody is around to use it`,
        'SageMaker reports no user activity apart from its health checks, so idleness is inferred from the hour',
        'Studio idle shutdown is not enabled for it',
      ];
      return { state: 'violation', title: `Studio app ${r.name} ran through the quiet hours`, evidence, confidence: 'medium', ...priced(evidence) };
    }
    if (settings.quietHours && quiet && since) {
      return { state: 'not-applicable', reason: `started ${utc(since)}, after the last quiet hours began; judged again after the next` };
    }
    return {
      state: 'unknown',
      title: `Studio app ${r.name}: usage unknown and nothing stops it when idle — not acted on`,
      evidence: [
        runningLine,
        'SageMaker reports no user activity apart from its health checks (LastUserActivityTimestamp equals LastHealthCheckTimestamp)',
        settings.quietHours ? `no quiet hours ${quietHoursText(settings.quietHours)} in the last 8 days to judge it by` : 'no quietHours in costwatch.yml to judge it by night',
        'Studio idle shutdown is not enabled for it: enable it on the domain or space',
      ],
    };
  },
};
