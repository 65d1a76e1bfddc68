/**
 * How every function is bundled, in one place: the stack (NodejsFunction), the bundle bench and
 * the bundle tests build with these same esbuild settings, so what they measure is what deploys.
 */
export const BUNDLING = {
  format: 'esm',
  target: 'node22',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  // Lambda's Node.js runtime provides the AWS SDK v3.
  external: ['@aws-sdk/*'],
  // CommonJS dependencies inside an ES module bundle still call require() for Node built-ins, and
  // some (the Google clients' google-gax) name paths from __dirname at load.
  banner:
    "import{createRequire as __cwCreateRequire}from'node:module';import{fileURLToPath as __cwFileUrlToPath}from'node:url';const require=__cwCreateRequire(import.meta.url);const __filename=__cwFileUrlToPath(import.meta.url);const __dirname=__filename.slice(0,__filename.lastIndexOf('/'));",
} as const;

/** Packages no function bundle may contain: the policy is validated at synth and shipped as JSON. */
export const FORBIDDEN_IN_BUNDLES: readonly RegExp[] = [/^zod$/, /^yaml$/];
