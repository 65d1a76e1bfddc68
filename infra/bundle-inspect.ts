import type { Cloud } from '../shared/domain/resource.js';

/** The parts of an esbuild metafile (`--metafile`) read here. */
export interface Metafile {
  readonly inputs: Readonly<Record<string, { readonly bytes: number }>>;
  readonly outputs: Readonly<
    Record<
      string,
      {
        readonly bytes: number;
        readonly imports: readonly { readonly path: string; readonly kind: string; readonly external?: boolean }[];
        readonly inputs: Readonly<Record<string, { readonly bytesInOutput: number }>>;
      }
    >
  >;
}

/** Packages that belong to a cloud's SDK. AWS SDK v3 is external (Lambda provides it), so it must never be bundled. */
export const CLOUD_SDK_PACKAGES: Readonly<Record<Cloud, readonly RegExp[]>> = {
  aws: [/^@aws-sdk\//, /^aws-sdk$/],
  gcp: [/^@google-cloud\//, /^googleapis(-common)?$/, /^google-auth-library$/, /^google-gax$/, /^gcp-metadata$/],
  azure: [/^@azure\//, /^@azure-rest\//],
};

/** The npm package an input path belongs to (`node_modules/@a/b/x.js` → `@a/b`), or undefined for our own files. */
export function packageOf(inputPath: string): string | undefined {
  const i = inputPath.lastIndexOf('node_modules/');
  if (i < 0) return undefined;
  const [first, second] = inputPath.slice(i + 'node_modules/'.length).split('/');
  if (!first) return undefined;
  return first.startsWith('@') && second ? `${first}/${second}` : first;
}

/** Bytes in the bundle per npm package (our own sources under `(own)`). */
export function bundledPackages(meta: Metafile): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of Object.values(meta.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(o.inputs)) {
      if (bytesInOutput === 0) continue;
      const pkg = packageOf(path) ?? '(own)';
      out.set(pkg, (out.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  return out;
}

/** Our own source files that made it into the bundle, relative to the project root. */
export function bundledSources(meta: Metafile): string[] {
  return Object.values(meta.outputs)
    .flatMap((o) => Object.entries(o.inputs).filter(([path, i]) => i.bytesInOutput > 0 && packageOf(path) === undefined).map(([path]) => path))
    .sort();
}

/** Modules the bundle loads at run time instead of containing them (`@aws-sdk/client-sqs`, `node:fs`). */
export function externalImports(meta: Metafile): string[] {
  const out = new Set<string>();
  for (const o of Object.values(meta.outputs)) for (const i of o.imports) if (i.external) out.add(i.path);
  return [...out].sort();
}

/**
 * Cloud SDK packages bundled although the function may not contain them: any GCP or Azure SDK
 * outside `allowed`, and the AWS SDK always (it must stay external). Empty when the bundle is clean.
 */
export function forbiddenSdkPackages(meta: Metafile, allowed: readonly Cloud[]): string[] {
  const forbidden = (Object.keys(CLOUD_SDK_PACKAGES) as Cloud[]).filter((c) => c === 'aws' || !allowed.includes(c)).flatMap((c) => CLOUD_SDK_PACKAGES[c]);
  return [...bundledPackages(meta).keys()].filter((p) => forbidden.some((re) => re.test(p))).sort();
}

/**
 * External modules a bundle loads when the function starts (static imports, hoisted to the top of
 * the bundle), as opposed to those it loads on first use (`import()`).
 */
export function startupImports(meta: Metafile): string[] {
  const out = new Set<string>();
  for (const o of Object.values(meta.outputs)) for (const i of o.imports) if (i.external && i.kind === 'import-statement') out.add(i.path);
  return [...out].sort();
}
