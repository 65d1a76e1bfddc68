import type { ActionDefinition } from './index.js';

/** Google Cloud action kinds, declared in data; the gcp provider's kind modules perform them. */
export const GCP_ACTIONS: readonly ActionDefinition[] = [
  {
    kind: 'gcp.vertex.undeploy-models',
    resourceKind: 'gcp.vertex.endpoint',
    label: 'Undeploy models',
    appliesTo: ['running'],
    reversible: true,
    saves: "the endpoint's traffic split and the full DeployedModel spec of every dedicated model (id, model, machine and accelerators, min/max replicas and every other setting)",
    undo: 'deploy each model again on the same endpoint with the same id and resources, then restore the traffic split (the endpoint itself is never deleted)',
    autoAllowed: true,
  },
  {
    kind: 'gcp.workbench.stop-instance',
    resourceKind: 'gcp.workbench.instance',
    label: 'Stop instance',
    appliesTo: ['running'],
    reversible: true,
    saves: 'instance name, state, machine type, idle shutdown setting and labels (its disks and files stay with the stopped instance)',
    undo: 'start the instance again, once it has finished stopping',
    autoAllowed: true,
  },
  {
    kind: 'gcp.workbench.set-idle-shutdown',
    resourceKind: 'gcp.workbench.instance',
    label: 'Set idle shutdown',
    appliesTo: ['running'],
    reversible: true,
    saves: "the instance's previous idle-timeout-seconds metadata value, or that it had none",
    undo: 'put the previous value back (or remove the key if there was none); the rest of the metadata is left as it is',
    autoAllowed: true,
  },
  {
    kind: 'gcp.vertex.cancel-custom-job',
    resourceKind: 'gcp.vertex.custom-job',
    label: 'Cancel custom job',
    appliesTo: ['running'],
    reversible: false,
    saves: 'job name, state, start time, worker pools (machine, accelerators, replicas), for the audit log',
    undo: 'none: a cancelled custom job cannot be resumed (the checkpoints it wrote stay where it wrote them; a new job must be started)',
    autoAllowed: false,
  },
  {
    kind: 'gcp.storage.add-lifecycle-rule',
    resourceKind: 'gcp.storage.bucket',
    label: 'Add lifecycle rule',
    // A bucket has no running state; `running` is how the collector marks one that exists.
    appliesTo: ['running'],
    reversible: true,
    saves: "the bucket's whole lifecycle configuration as it was (or that it had none), its metageneration, and the rule added",
    undo: "restore that configuration exactly (remove it if there was none); if the bucket's rules changed since, remove only costwatch's rule. Objects Cloud Storage already moved stay in their new class",
    autoAllowed: true,
  },
  {
    kind: 'gcp.billing.disable-billing',
    resourceKind: 'gcp.billing.project',
    label: 'Unlink billing',
    appliesTo: ['running'],
    reversible: true,
    saves: 'the billing account the project was linked to and whether billing was enabled',
    undo: 'link the project to the saved billing account again (services the unlink stopped must then be started again; data Google deleted after the grace period does not come back)',
    // Only with clouds.gcp.allowDisableBilling: true (the planner asks the policy); otherwise approval only.
    autoAllowed: true,
    warning: 'Stops every paid service of the project at once (VMs, Vertex AI endpoints, Workbench, APIs that need billing); Google may delete its data if billing stays off past the grace period.',
  },
];
