/*
 * `npm run bench`: runs every benchmark script in bench/ (each `*.ts` file there except this one;
 * helpers live in bench/lib/) one after another, each in a process of its own so one's memory
 * figures are not another's, and prints what each prints. Exits non-zero if any failed.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));

async function main(): Promise<number> {
  const scripts = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && e.name !== 'run.ts')
    .map((e) => e.name)
    .sort();
  const failed: string[] = [];
  for (const script of scripts) {
    process.stdout.write(`\n=== bench/${script}\n`);
    const t0 = performance.now();
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', `${dir}${script}`], { stdio: 'inherit' });
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
      child.on('error', () => resolve(1));
    });
    process.stdout.write(`=== bench/${script}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    if (code !== 0) failed.push(script);
  }
  if (failed.length > 0) process.stderr.write(`failed: ${failed.join(', ')}\n`);
  return failed.length > 0 ? 1 : 0;
}

main().then((code) => process.exit(code));
