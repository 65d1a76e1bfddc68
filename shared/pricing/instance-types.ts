import instancesTable from './aws-sagemaker-instances.json' with { type: 'json' };

/** Capacity of one instance type: what utilization metrics are relative to. */
export interface InstanceSpec {
  readonly vcpu: number;
  readonly memoryGiB: number;
  /** NVIDIA GPUs; SageMaker's GPUUtilization ranges 0..100 × this. */
  readonly gpus?: number;
  /** AWS Inferentia / Trainium devices, which publish no GPUUtilization. */
  readonly neuron?: number;
  /** The next size down in the same family with the same accelerators (the family ladder), if any. */
  readonly smaller: string | null;
}

interface InstanceTable {
  readonly asOf: string;
  readonly source: string;
  readonly ladderRule: string;
  readonly types: Readonly<Record<string, InstanceSpec>>;
}

const TABLE = instancesTable as InstanceTable;

/** Where the instance facts come from, for evidence lines. */
export const INSTANCE_TABLE_SOURCE = `bundled instance table ${TABLE.asOf}`;

/** vCPU / accelerator counts and the family ladder of a SageMaker `ml.*` instance type, if known. */
export function instanceSpec(instanceType: string): InstanceSpec | undefined {
  return Object.hasOwn(TABLE.types, instanceType) ? TABLE.types[instanceType] : undefined;
}
