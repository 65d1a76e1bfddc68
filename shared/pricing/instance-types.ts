import instancesTable from './aws-sagemaker-instances.json' with { type: 'json' };
import azureVmTable from './azure-vm-instances.json' with { type: 'json' };

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
  /**
   * Utilization metrics are a share of the whole instance (Azure ML), not per core / per GPU
   * (SageMaker): they are not divided by the vCPU or GPU count.
   */
  readonly wholeInstancePercent?: boolean;
}

interface InstanceTable {
  readonly asOf: string;
  readonly source: string;
  readonly ladderRule: string;
  readonly wholeInstancePercent?: boolean;
  readonly types: Readonly<Record<string, InstanceSpec>>;
}

const TABLE = instancesTable as InstanceTable;
const AZURE_TABLE = azureVmTable as InstanceTable;

/** Where the instance facts come from, for evidence lines. */
export const INSTANCE_TABLE_SOURCE = `bundled instance table ${TABLE.asOf}`;

/** vCPU / accelerator counts and the family ladder of a SageMaker `ml.*` instance type or an Azure VM size, if known. */
export function instanceSpec(instanceType: string): InstanceSpec | undefined {
  if (Object.hasOwn(TABLE.types, instanceType)) return TABLE.types[instanceType];
  if (Object.hasOwn(AZURE_TABLE.types, instanceType)) return { ...AZURE_TABLE.types[instanceType]!, wholeInstancePercent: true };
  return undefined;
}
