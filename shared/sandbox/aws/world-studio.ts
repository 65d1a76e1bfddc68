import { createHash } from 'node:crypto';
import { z } from 'zod';
import { mlInstanceType, reportDuplicateNames, sageMakerName, worldTags, worldTime } from './world-common.js';

/* World-file section `sagemaker.studioDomains` (docs/world-file.md "SageMaker Studio"). */

/** `AppType` values the sandbox serves. */
export const STUDIO_APP_TYPES = ['JupyterLab', 'CodeEditor', 'KernelGateway', 'JupyterServer'] as const;
/** `AppStatus` values. */
export const STUDIO_APP_STATUSES = ['Pending', 'InService', 'Deleting', 'Deleted', 'Failed'] as const;

const idleMinutes = z.number().int().min(60).max(525_600);

const spaceSchema = z.strictObject({
  name: sageMakerName,
  /** The user profile owning a private space; absent for a shared space. */
  owner: sageMakerName.optional(),
  appType: z.enum(['JupyterLab', 'CodeEditor']).default('JupyterLab'),
  /** Studio's built-in idle shutdown for this space; overrides the domain default. */
  idleShutdownMinutes: idleMinutes.optional(),
  storageGb: z.number().int().min(5).max(16_384).default(5),
  createdAt: worldTime.default('-60d'),
  tags: worldTags,
});

const appSchema = z
  .strictObject({
    name: sageMakerName.default('default'),
    type: z.enum(STUDIO_APP_TYPES),
    space: sageMakerName.optional(),
    userProfile: sageMakerName.optional(),
    /** `ResourceSpec.InstanceType`; JupyterServer apps run on the free `system` instance. */
    instanceType: z.union([mlInstanceType, z.literal('system')]).optional(),
    status: z.enum(STUDIO_APP_STATUSES).default('InService'),
    createdAt: worldTime.default('-1d'),
    /** `LastUserActivityTimestamp`; omitted, it equals the last health check, as AWS reports it. */
    lastUserActivity: worldTime.optional(),
    tags: worldTags,
  })
  .superRefine((a, ctx) => {
    if ((a.space === undefined) === (a.userProfile === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['space'], message: 'an app belongs to exactly one of space or userProfile' });
    }
    if ((a.type === 'JupyterLab' || a.type === 'CodeEditor') && a.space === undefined) {
      ctx.addIssue({ code: 'custom', path: ['space'], message: `${a.type} apps run in a space: give space` });
    }
    if (a.type === 'JupyterServer' && a.instanceType !== undefined && a.instanceType !== 'system') {
      ctx.addIssue({ code: 'custom', path: ['instanceType'], message: 'a JupyterServer app runs on the system instance' });
    }
  });

const domainSchema = z
  .strictObject({
    id: z.string().regex(/^d-[a-z0-9]{1,61}$/, 'a domain id looks like d-abc123def456').optional(),
    name: sageMakerName,
    /** Domain-wide default idle shutdown for JupyterLab and Code Editor spaces. */
    idleShutdownMinutes: idleMinutes.optional(),
    createdAt: worldTime.default('-180d'),
    userProfiles: z.array(sageMakerName).default([]),
    spaces: z.array(spaceSchema).default([]),
    apps: z.array(appSchema).default([]),
    tags: worldTags,
  })
  .superRefine((d, ctx) => {
    reportDuplicateNames(d.userProfiles, ctx, (i) => ['userProfiles', i], 'user profile');
    reportDuplicateNames(d.spaces.map((s) => s.name), ctx, (i) => ['spaces', i, 'name'], 'space');
    const profiles = new Set(d.userProfiles.map((p) => p.toLowerCase()));
    const spaces = new Map(d.spaces.map((s) => [s.name.toLowerCase(), s]));
    d.spaces.forEach((s, i) => {
      if (s.owner !== undefined && !profiles.has(s.owner.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['spaces', i, 'owner'], message: `user profile "${s.owner}" is not listed in userProfiles` });
      }
    });
    const live = new Set<string>();
    d.apps.forEach((a, i) => {
      if (a.space !== undefined) {
        const space = spaces.get(a.space.toLowerCase());
        if (!space) ctx.addIssue({ code: 'custom', path: ['apps', i, 'space'], message: `space "${a.space}" is not declared in this domain` });
        else if ((a.type === 'JupyterLab' || a.type === 'CodeEditor') && a.type !== space.appType) {
          ctx.addIssue({ code: 'custom', path: ['apps', i, 'type'], message: `space "${space.name}" runs ${space.appType} apps` });
        }
      }
      if (a.userProfile !== undefined && !profiles.has(a.userProfile.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['apps', i, 'userProfile'], message: `user profile "${a.userProfile}" is not listed in userProfiles` });
      }
      if (a.status === 'Deleted') return;
      const key = `${(a.space ?? `~${a.userProfile ?? ''}`).toLowerCase()}/${a.type}/${a.name.toLowerCase()}`;
      if (live.has(key)) ctx.addIssue({ code: 'custom', path: ['apps', i, 'name'], message: `app ${a.type} "${a.name}" is declared twice for ${a.space ?? a.userProfile}` });
      live.add(key);
    });
  });

/** `sagemaker.studioDomains`. */
export const studioDomainsSchema = z
  .array(domainSchema)
  .default([])
  .superRefine((list, ctx) => {
    reportDuplicateNames(list.map((d) => d.name), ctx, (i) => [i, 'name'], 'Studio domain');
    reportDuplicateNames(list.map(domainIdOf), ctx, (i) => [i, 'id'], 'Studio domain id');
  });

/** A Studio domain as declared. */
export type StudioDomainSpec = z.output<typeof domainSchema>;
/** A Studio space as declared. */
export type StudioSpaceSpec = StudioDomainSpec['spaces'][number];
/** A Studio app as declared. */
export type StudioAppSpec = StudioDomainSpec['apps'][number];

/** The domain id: as declared, or derived from the name so it is stable across runs. */
export function domainIdOf(d: { id?: string | undefined; name: string }): string {
  return d.id ?? `d-${createHash('sha256').update(d.name).digest('hex').slice(0, 12)}`;
}
