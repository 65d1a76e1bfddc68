/*
 * Bundle bench (run: `npx tsx bench/bundles.ts`, or `npm run bench` for all): bundles every
 * function of the function table with the stack's esbuild settings (infra/bundling.ts) and prints
 * its size against its budget, its heaviest packages, the AWS clients it imports, and its cold
 * import time as a ratio to a bundle holding only @aws-sdk/client-dynamodb, measured in the same
 * run (fresh Node process per import, rounds interleaved). Prints figures; asserts nothing.
 * `--runs N` sets the processes per bundle (default 9).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS } from '../infra/function-table.js';
import { awsClients, bundleDynamoOnly, bundleEntry, bytesByPackage, coldImportMedians, functionEnv, linkNodeModules, ROOT } from './lib/bundles.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 9;
const kib = (b: number) => (b / 1024).toFixed(1);

const out = await mkdtemp(join(tmpdir(), 'costwatch-bench-bundles-'));
try {
  await linkNodeModules(out);
  const reference = await bundleDynamoOnly(out);
  const bundles = [];
  for (const f of FUNCTIONS) bundles.push({ spec: f, built: await bundleEntry(f.name, join(ROOT, 'functions', `${f.name}.ts`), out, f.nativePackages) });
  const files = new Map([[reference.name, reference.file], ...bundles.map((b) => [b.spec.name, b.built.file] as [string, string])]);
  const medians = coldImportMedians(files, functionEnv(), RUNS);
  const ref = medians.get(reference.name)!;
  console.log(`Bundles (esbuild, minified, node22 ESM, @aws-sdk/* external) and cold import in a fresh Node ${process.version} process, median of ${RUNS}`);
  console.log(`reference: a bundle holding only @aws-sdk/client-dynamodb imports in ${ref.toFixed(1)} ms\n`);
  console.log(`${'function'.padEnd(20)} ${'KiB'.padStart(7)} ${'budget'.padStart(7)} ${'import ms'.padStart(10)} ${'ratio'.padStart(6)}  heaviest packages; AWS clients`);
  for (const { spec, built } of bundles) {
    const ms = medians.get(spec.name)!;
    const top = [...bytesByPackage(built.metafile)].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([p, b]) => `${p} ${kib(b)}`).join(', ');
    const clients = awsClients(built.metafile).map((c) => c.replace('@aws-sdk/', '')).join(' ');
    const budget = spec.bundleBudgetKib;
    console.log(`${spec.name.padEnd(20)} ${kib(built.bytes).padStart(7)} ${String(budget).padStart(7)} ${ms.toFixed(1).padStart(10)} ${(ms / ref).toFixed(2).padStart(5)}×  ${top}; ${clients}`);
  }
} finally {
  await rm(out, { recursive: true, force: true });
}
