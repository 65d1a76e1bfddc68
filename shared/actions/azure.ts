import type { ActionDefinition } from './index.js';

/** The Azure actions, declared in data; the Azure kind modules perform exactly these. */
export const AZURE_ACTIONS: readonly ActionDefinition[] = [
  {
    kind: 'azure.ml.delete-online-deployments',
    resourceKind: 'azure.ml.online-endpoint',
    label: 'Delete deployments',
    appliesTo: ['running'],
    reversible: true,
    saves: "each deployment's full spec (instance type and count, scale settings, model, environment, code, probes, tags) and the endpoint's traffic split",
    undo: 're-create each deployment from its saved spec, then restore the traffic split; the endpoint, its scoring URI and keys are never deleted',
    autoAllowed: true,
  },
  {
    kind: 'azure.ml.stop-compute-instance',
    resourceKind: 'azure.ml.compute-instance',
    label: 'Stop compute instance',
    appliesTo: ['running'],
    reversible: true,
    saves: 'compute name, VM size, state and idle shutdown setting (its OS disk and files stay with the stopped instance)',
    undo: 'start the compute instance again, once it has stopped',
    autoAllowed: true,
  },
  {
    kind: 'azure.ml.set-idle-shutdown',
    resourceKind: 'azure.ml.compute-instance',
    label: 'Set idle shutdown',
    appliesTo: ['running', 'stopped'],
    reversible: true,
    saves: 'the idleTimeBeforeShutdown in force (or that there was none)',
    undo: 'set idleTimeBeforeShutdown back to the saved value',
    autoAllowed: true,
  },
  {
    kind: 'azure.ml.set-cluster-min-nodes-zero',
    resourceKind: 'azure.ml.compute-cluster',
    label: 'Scale min nodes to 0',
    appliesTo: ['running'],
    reversible: true,
    saves: "the cluster's scale settings: min and max node counts and the idle time before scale-down",
    undo: 'restore the saved scale settings (the cluster scales back up to its old minimum)',
    autoAllowed: true,
  },
];
