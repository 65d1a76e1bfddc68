/*
 * Bundle bench (run: `npx tsx bench/bundles.ts`, or `npm run bench` for all): bundles every
 * function of the function table with the stack's esbuild settings (infra/bundling.ts) and prints
 * its size against its budget, its heaviest packages, the AWS clients it imports, and its cold
 * import time as a ratio to a bundle holding only @aws-sdk/client-dynamodb, measured in the same
 * run (fresh Node process per import, rounds interleaved). Prints figures; asserts nothing.
 * `--runs N` sets the processes per bundle (default 9).
 *
 * Two cold-start figures per function, because clients are loaded on first use: `import` is the
 * module graph alone (what Lambda's init phase runs); `+ first call` is the import plus what the
 * first typical invocation loads before it can answer (the AWS SDK packages and the lazily loaded
 * provider code it calls, listed in bench/lib/first-invocation.ts), without the calls themselves.
 * The second is the one to judge a function by: deferring work every invocation does anyway
 * moves it, it does not save it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS } from '../infra/function-table.js';
import { FIRST_INVOCATIONS } from './lib/first-invocation.js';
import { awsClients, bundleDynamoOnly, bundleEntry, bundleFirstInvocation, bytesByPackage, coldImportMedians, functionEnv, linkNodeModules, ROOT } from './lib/bundles.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 9;
const kib = (b: number) => (b / 1024).toFixed(1);

const out = await mkdtemp(join(tmpdir(), 'costwatch-bench-bundles-'));
try {
  await linkNodeModules(out);
  const reference = await bundleDynamoOnly(out);
  const bundles = [];
  for (const f of FUNCTIONS) {
    const first = FIRST_INVOCATIONS[f.name];
    if (!first) throw new Error(`${f.name}: no first invocation in bench/lib/first-invocation.ts`);
    bundles.push({
      spec: f,
      first,
      built: await bundleEntry(f.name, join(ROOT, 'functions', `${f.name}.ts`), out, f.nativePackages),
      firstCall: await bundleFirstInvocation(f.name, first, out, f.nativePackages),
    });
  }
  const files = new Map([[reference.name, reference.file], ...bundles.flatMap((b) => [[b.spec.name, b.built.file], [b.firstCall.name, b.firstCall.file]] as [string, string][])]);
  const medians = coldImportMedians(files, functionEnv(), RUNS);
  const ref = medians.get(reference.name)!;
  console.log(`Bundles (esbuild, minified, node22 ESM, @aws-sdk/* external) and cold start in a fresh Node ${process.version} process, median of ${RUNS}, rounds interleaved`);
  console.log(`reference: a bundle holding only @aws-sdk/client-dynamodb imports in ${ref.toFixed(1)} ms`);
  console.log('import: the module graph alone; + first call: the import and what the first typical invocation loads (listed below), calls not timed\n');
  console.log(`${'function'.padEnd(20)} ${'KiB'.padStart(7)} ${'budget'.padStart(7)} ${'import ms'.padStart(10)} ${'ratio'.padStart(6)} ${'+first call'.padStart(11)} ${'ratio'.padStart(6)}  heaviest packages; AWS clients (loaded at start or on first use)`);
  for (const { spec, built, firstCall } of bundles) {
    const ms = medians.get(spec.name)!;
    const firstMs = medians.get(firstCall.name)!;
    const top = [...bytesByPackage(built.metafile)].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([p, b]) => `${p} ${kib(b)}`).join(', ');
    const clients = awsClients(built.metafile).map((c) => c.replace('@aws-sdk/', '')).join(' ');
    const budget = spec.bundleBudgetKib;
    console.log(
      `${spec.name.padEnd(20)} ${kib(built.bytes).padStart(7)} ${String(budget).padStart(7)} ${ms.toFixed(1).padStart(10)} ${(ms / ref).toFixed(2).padStart(5)}× ${firstMs.toFixed(1).padStart(11)} ${(firstMs / ref).toFixed(2).padStart(5)}×  ${top}; ${clients}`,
    );
  }
  console.log('\nFirst invocations measured:');
  for (const { spec, first } of bundles) {
    const loads = [...first.awsPackages.map((p) => p.replace('@aws-sdk/', '')), ...(first.modules ?? [])];
    console.log(`  ${spec.name}: ${first.invocation}${loads.length > 0 ? ` — loads ${loads.join(', ')}` : ' — loads nothing more'}`);
  }
} finally {
  await rm(out, { recursive: true, force: true });
}
