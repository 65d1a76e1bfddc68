import { spawnSync } from 'node:child_process';
import { mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { ENV } from '../../functions/lib/contract.js';
import { BUNDLING } from '../../infra/bundling.js';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** A function bundled as the stack bundles it. */
export interface BuiltBundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

/**
 * Bundles `entry` into `<outDir>/<name>/index.mjs` with the stack's esbuild settings
 * (infra/bundling.ts); `nativePackages` stay external, as the stack leaves them (the digest's chart renderer).
 */
export async function bundleEntry(name: string, entry: string, outDir: string, nativePackages: readonly string[] = []): Promise<BuiltBundle> {
  const dir = join(outDir, name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'index.mjs');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    outfile: file,
    format: BUNDLING.format,
    target: BUNDLING.target,
    platform: BUNDLING.platform,
    mainFields: [...BUNDLING.mainFields],
    minify: BUNDLING.minify,
    external: [...BUNDLING.external, ...nativePackages],
    banner: { js: BUNDLING.banner },
    metafile: true,
    logLevel: 'error',
  });
  return { name, file, bytes: (await stat(file)).size, metafile: result.metafile };
}

/**
 * The reference of the cold-import ratios: a bundle holding only `@aws-sdk/client-dynamodb`
 * (external, as Lambda provides it), i.e. what importing one AWS client costs.
 */
export async function bundleDynamoOnly(outDir: string): Promise<BuiltBundle> {
  const entry = join(outDir, 'dynamodb-only.ts');
  await writeFile(entry, "export { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n");
  return bundleEntry('dynamodb-only', entry, outDir);
}

/**
 * The function as its first invocation leaves it loaded: its bundle built from an entry that
 * re-exports the handler and imports, statically, the AWS SDK packages and our own modules the
 * first invocation loads on first use (bench/lib/first-invocation.ts). Importing this bundle costs
 * the function's import plus those loads, without the calls themselves.
 */
export async function bundleFirstInvocation(name: string, loads: { awsPackages: readonly string[]; modules?: readonly string[] }, outDir: string, nativePackages: readonly string[] = []): Promise<BuiltBundle> {
  const entry = join(outDir, `${name}.first-invocation.ts`);
  const lines = [
    `export * from ${JSON.stringify(join(ROOT, 'functions', `${name}.ts`))};`,
    ...loads.awsPackages.map((p) => `import ${JSON.stringify(p)};`),
    ...(loads.modules ?? []).map((m) => `import ${JSON.stringify(join(ROOT, m))};`),
  ];
  await writeFile(entry, `${lines.join('\n')}\n`);
  return bundleEntry(`${name}.first-invocation`, entry, outDir, nativePackages);
}

/** Makes node_modules resolvable from `outDir` (the AWS SDK v3, as Lambda's runtime provides it). */
export async function linkNodeModules(outDir: string): Promise<void> {
  await symlink(join(ROOT, 'node_modules'), join(outDir, 'node_modules')).catch(() => undefined);
}

/** The environment every function reads at import, with values that reach nothing outside this machine. */
export function functionEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '' };
  for (const [key, name] of Object.entries(ENV)) {
    env[name] = key.endsWith('Arn') ? `arn:aws:secretsmanager:us-east-1:111111111111:secret:${name.toLowerCase()}` : key.endsWith('Url') ? 'http://127.0.0.1:9/111111111111/queue' : 'bench';
  }
  return {
    ...env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    // Nothing leaves the machine: any call at import meets a closed port.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/** Milliseconds to import `file` in a fresh Node process (the module graph only: no handler call). */
export function coldImportMs(file: string, env: NodeJS.ProcessEnv): number {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(file)}); console.log('MS ' + (performance.now() - t0).toFixed(2)); process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('MS '));
  if (r.status !== 0 || !line) throw new Error(`importing ${file} failed: ${r.stderr.slice(0, 2000)}`);
  return Number(line.slice(3));
}

/**
 * Cold-import medians over `runs` fresh processes per bundle, the reference interleaved with the
 * others (round after round) so a busy moment of the machine weighs on all of them alike.
 */
export function coldImportMedians(files: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, runs: number): Map<string, number> {
  const times = new Map<string, number[]>([...files.keys()].map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [name, file] of files) times.get(name)!.push(coldImportMs(file, env));
  return new Map([...times].map(([k, v]) => [k, median(v)]));
}

/** The median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Bytes per npm package in a bundle (our own sources as `(own)`). */
export function bytesByPackage(meta: Metafile): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of Object.values(meta.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(o.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key = m ? m[1]! : '(own)';
      out.set(key, (out.get(key) ?? 0) + bytesInOutput);
    }
  }
  return out;
}

/** AWS SDK packages a bundle imports at run time (external). */
export function awsClients(meta: Metafile): string[] {
  const out = new Set<string>();
  for (const o of Object.values(meta.outputs)) for (const i of o.imports) if (i.external && i.path.startsWith('@aws-sdk/')) out.add(i.path);
  return [...out].sort();
}
