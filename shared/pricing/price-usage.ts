import type { PriceUsage } from './price-book.js';

/** Which price list applies to each billable kind (a training price is never used for hosting). */
export const PRICE_USAGE_BY_KIND: Readonly<Record<string, PriceUsage>> = {
  'aws.sagemaker.endpoint': 'hosting',
  'aws.sagemaker.notebook-instance': 'notebook',
  'aws.sagemaker.studio-app': 'studio',
  'aws.sagemaker.training-job': 'training',
  'aws.sagemaker.processing-job': 'processing',
  'gcp.vertex.endpoint': 'hosting',
  'gcp.workbench.instance': 'notebook',
  'gcp.vertex.custom-job': 'training',
  'azure.ml.online-endpoint': 'hosting',
  'azure.ml.compute-instance': 'notebook',
  'azure.ml.compute-cluster': 'training',
};
