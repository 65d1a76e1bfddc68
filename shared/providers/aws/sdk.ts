/*
 * The AWS SDK v3 packages the AWS provider calls, each loaded by its first call and never at
 * start. A bundle keeps the AWS SDK external (Lambda's runtime provides it), and esbuild hoists a
 * static `import` of an external package to the top of the bundle, so any value imported from
 * `@aws-sdk/client-*` anywhere in the provider would be loaded when the function starts, called
 * or not. These `import()` calls stay dynamic in the bundle: a scan whose collection plan needs
 * SageMaker and CloudWatch loads those two clients and no other. Types are imported as types only.
 */

import { lazy, type Lazy } from '../../lazy.js';

export { lazy, type Lazy };

/** A client, or how to make it on first use (what the client factory hands out). */
export type ClientRef<C> = C | Lazy<C>;

/** The client a {@link ClientRef} names, made now if it was not yet. */
export async function clientOf<C extends object>(ref: ClientRef<C>): Promise<C> {
  return typeof ref === 'function' ? (ref as Lazy<C>)() : ref;
}

export const sagemakerSdk = lazy(() => import('@aws-sdk/client-sagemaker'));
export const cloudwatchSdk = lazy(() => import('@aws-sdk/client-cloudwatch'));
export const costExplorerSdk = lazy(() => import('@aws-sdk/client-cost-explorer'));
export const budgetsSdk = lazy(() => import('@aws-sdk/client-budgets'));
export const pricingSdk = lazy(() => import('@aws-sdk/client-pricing'));
export const s3Sdk = lazy(() => import('@aws-sdk/client-s3'));
export const autoScalingSdk = lazy(() => import('@aws-sdk/client-application-auto-scaling'));
export const credentialProvidersSdk = lazy(() => import('@aws-sdk/credential-providers'));
