/*
 * Enum names by number, for values the clients decode as numbers (they ask for
 * `enum-encoding=int`; long-running-operation results come back that way). Copied from the
 * protos the clients ship (google/cloud/aiplatform/v1/accelerator_type.proto, job_state.proto;
 * google/cloud/notebooks/v2/instance.proto, gce_setup.proto) so the provider need not load the
 * clients' multi-megabyte generated proto modules to read them.
 */

/** google.cloud.aiplatform.v1.AcceleratorType. */
export const VERTEX_ACCELERATOR: Readonly<Record<number, string>> = {
  0: 'ACCELERATOR_TYPE_UNSPECIFIED',
  1: 'NVIDIA_TESLA_K80',
  2: 'NVIDIA_TESLA_P100',
  3: 'NVIDIA_TESLA_V100',
  4: 'NVIDIA_TESLA_P4',
  5: 'NVIDIA_TESLA_T4',
  6: 'TPU_V2',
  7: 'TPU_V3',
  8: 'NVIDIA_TESLA_A100',
  9: 'NVIDIA_A100_80GB',
  10: 'TPU_V4_POD',
  11: 'NVIDIA_L4',
  12: 'TPU_V5_LITEPOD',
  13: 'NVIDIA_H100_80GB',
  14: 'NVIDIA_H100_MEGA_80GB',
  15: 'NVIDIA_H200_141GB',
  16: 'NVIDIA_B200',
  17: 'NVIDIA_GB200',
  18: 'NVIDIA_RTX_PRO_6000',
};

/** google.cloud.aiplatform.v1.JobState. */
export const VERTEX_JOB_STATE: Readonly<Record<number, string>> = {
  0: 'JOB_STATE_UNSPECIFIED',
  1: 'JOB_STATE_QUEUED',
  2: 'JOB_STATE_PENDING',
  3: 'JOB_STATE_RUNNING',
  4: 'JOB_STATE_SUCCEEDED',
  5: 'JOB_STATE_FAILED',
  6: 'JOB_STATE_CANCELLING',
  7: 'JOB_STATE_CANCELLED',
  8: 'JOB_STATE_PAUSED',
  9: 'JOB_STATE_EXPIRED',
  10: 'JOB_STATE_UPDATING',
  11: 'JOB_STATE_PARTIALLY_SUCCEEDED',
};

/** google.cloud.notebooks.v2.State. */
export const WORKBENCH_STATE: Readonly<Record<number, string>> = {
  0: 'STATE_UNSPECIFIED',
  1: 'STARTING',
  2: 'PROVISIONING',
  3: 'ACTIVE',
  4: 'STOPPING',
  5: 'STOPPED',
  6: 'DELETED',
  7: 'UPGRADING',
  8: 'INITIALIZING',
  9: 'SUSPENDING',
  10: 'SUSPENDED',
};

/** google.cloud.notebooks.v2.AcceleratorConfig.AcceleratorType. */
export const WORKBENCH_ACCELERATOR: Readonly<Record<number, string>> = {
  0: 'ACCELERATOR_TYPE_UNSPECIFIED',
  2: 'NVIDIA_TESLA_P100',
  3: 'NVIDIA_TESLA_V100',
  4: 'NVIDIA_TESLA_P4',
  5: 'NVIDIA_TESLA_T4',
  8: 'NVIDIA_TESLA_T4_VWS',
  9: 'NVIDIA_TESLA_P100_VWS',
  10: 'NVIDIA_TESLA_P4_VWS',
  11: 'NVIDIA_TESLA_A100',
  12: 'NVIDIA_A100_80GB',
  13: 'NVIDIA_L4',
};

/** google.cloud.aiplatform.v1.Scheduling.Strategy (custom_job.proto). */
export const VERTEX_SCHEDULING_STRATEGY: Readonly<Record<number, string>> = {
  0: 'STRATEGY_UNSPECIFIED',
  1: 'ON_DEMAND',
  2: 'LOW_COST',
  3: 'STANDARD',
  4: 'SPOT',
  6: 'FLEX_START',
};
