import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/watchdog-stack.js';

/** IAM action of an SDK operation where it is not `<service prefix>:<Operation>`. */
const SPECIAL: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '@aws-sdk/client-budgets': { DescribeBudgets: 'budgets:ViewBudget', DescribeBudget: 'budgets:ViewBudget', DescribeBudgetPerformanceHistory: 'budgets:ViewBudget' },
  '@aws-sdk/client-s3': {
    ListObjectsV2: 's3:ListBucket',
    ListObjects: 's3:ListBucket',
    GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
    PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
    DeleteBucketLifecycle: 's3:PutLifecycleConfiguration',
    ListBuckets: 's3:ListAllMyBuckets',
    HeadObject: 's3:GetObject',
    HeadBucket: 's3:ListBucket',
  },
};

const PREFIX: Readonly<Record<string, string>> = {
  '@aws-sdk/client-sagemaker': 'sagemaker',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-cost-explorer': 'ce',
  '@aws-sdk/client-budgets': 'budgets',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-pricing': 'pricing',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-application-auto-scaling': 'application-autoscaling',
};

/** One AWS call found in source: where, and the IAM action it needs. */
export interface SourceCall {
  readonly file: string;
  readonly operation: string;
  readonly action: string;
}

/**
 * The AWS calls the code under `dir` (and its subfolders, such as `kinds/`) makes, read from its
 * imports: every `<Op>Command` and `paginate<Op>` taken (as a value) from an `@aws-sdk/client-*`
 * package, statically imported or from a package loaded on first use, and `sts:AssumeRole` for
 * `fromTemporaryCredentials`. Throws for a client without a known IAM prefix.
 */
export function awsCallsIn(dir: string): SourceCall[] {
  const calls: SourceCall[] = [];
  const abs = join(PROJECT_ROOT, dir);
  const names = readdirSync(abs, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).sort();
  // Packages loaded on first use (shared/providers/aws/sdk.ts): `export const xSdk = lazy(() => import('@aws-sdk/…'))`.
  const lazyPackages = new Map<string, string>();
  for (const name of names) {
    for (const m of readFileSync(join(abs, name), 'utf8').matchAll(/export const (\w+) = lazy\(\(\) => import\('(@aws-sdk\/[\w-]+)'\)\)/g)) lazyPackages.set(m[1]!, m[2]!);
  }
  for (const name of names) {
    const file = join(dir, name);
    const text = readFileSync(join(abs, name), 'utf8');
    const uses: { pkg: string; list: string }[] = [];
    // Static value imports: `import { XCommand } from '@aws-sdk/client-…'`.
    for (const m of text.matchAll(/import\s*(type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[\w-]+)'/g)) if (!m[1]) uses.push({ pkg: m[3]!, list: m[2]! });
    // Names taken from a package loaded on first use: `const [{ XCommand }, c] = await Promise.all([xSdk(), …])`,
    // `const { XCommand } = await xSdk()`, `xSdk().then(({ XCommand }) => …)` and `(await xSdk()).name`.
    for (const m of text.matchAll(/\{([^{}]*)\}[^;{}]*?\b(\w+Sdk)\(\)/g)) {
      const pkg = lazyPackages.get(m[2]!);
      if (pkg) uses.push({ pkg, list: m[1]! });
    }
    for (const m of text.matchAll(/\b(\w+Sdk)\(\)\s*\.then\(\(\{([^{}]*)\}\)/g)) {
      const pkg = lazyPackages.get(m[1]!);
      if (pkg) uses.push({ pkg, list: m[2]! });
    }
    for (const m of text.matchAll(/\(await (\w+Sdk)\(\)\)\.(\w+)/g)) {
      const pkg = lazyPackages.get(m[1]!);
      if (pkg) uses.push({ pkg, list: m[2]! });
    }
    for (const { pkg, list } of uses) {
      const names = list
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s && !s.startsWith('type '))
        .map((s) => s.split(/\s+as\s+|\s*:\s*/)[0]!.trim());
      for (const n of names) {
        if (pkg === '@aws-sdk/credential-providers') {
          if (n === 'fromTemporaryCredentials') calls.push({ file, operation: n, action: 'sts:AssumeRole' });
          continue;
        }
        const op = /^(\w+)Command$/.exec(n)?.[1] ?? /^paginate(\w+)$/.exec(n)?.[1];
        if (!op) continue;
        const prefix = PREFIX[pkg];
        if (!prefix) throw new Error(`${file}: no IAM prefix known for ${pkg}; add it to test/infra/aws-calls.ts`);
        calls.push({ file, operation: op, action: SPECIAL[pkg]?.[op] ?? `${prefix}:${op}` });
      }
    }
  }
  return calls;
}
