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
 * The AWS calls the code under `dir` (and its subfolders, such as `kinds/`) makes, read from its imports: every `<Op>Command` and
 * `paginate<Op>` imported (as a value) from an `@aws-sdk/client-*` package, and `sts:AssumeRole`
 * for `fromTemporaryCredentials`. Throws for a client without a known IAM prefix.
 */
export function awsCallsIn(dir: string): SourceCall[] {
  const calls: SourceCall[] = [];
  const abs = join(PROJECT_ROOT, dir);
  const names = readdirSync(abs, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).sort();
  for (const name of names) {
    const file = join(dir, name);
    const text = readFileSync(join(abs, name), 'utf8');
    for (const m of text.matchAll(/import\s*(type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[\w-]+)'/g)) {
      if (m[1]) continue;
      const pkg = m[3]!;
      const names = m[2]!
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s && !s.startsWith('type '))
        .map((s) => s.split(/\s+as\s+/)[0]!.trim());
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
