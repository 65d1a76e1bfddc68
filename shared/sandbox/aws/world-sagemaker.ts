import type { z } from 'zod';
import type { RegionSpec } from '../world.js';
import { processingJobsSchema, trainingJobsSchema } from './world-jobs.js';
import { checkNotebookReferences, notebookSections } from './world-notebooks.js';
import { studioDomainsSchema } from './world-studio.js';

/**
 * The SageMaker world sections besides endpoints, spread into the region's `sagemaker` object:
 * notebook instances and their lifecycle configurations, Studio domains, training and processing jobs.
 */
export function sageMakerWorldSections<S extends z.ZodType>(series: S) {
  return {
    ...notebookSections(series),
    studioDomains: studioDomainsSchema,
    trainingJobs: trainingJobsSchema,
    processingJobs: processingJobsSchema,
  };
}

/** Checks across those sections (references between them), reported at their region-relative paths. */
export function checkSageMakerWorld(region: Pick<RegionSpec, 'sagemaker'>, ctx: z.RefinementCtx): void {
  checkNotebookReferences(region.sagemaker, ctx);
}

/** A notebook instance as declared. */
export type NotebookSpec = RegionSpec['sagemaker']['notebookInstances'][number];
/** A notebook lifecycle configuration as declared. */
export type NotebookLifecycleConfigSpec = RegionSpec['sagemaker']['notebookLifecycleConfigs'][number];
