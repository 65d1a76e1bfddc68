/**
 * `npm run mutation`: mutation testing (StrykerJS) of the code that decides whether costwatch acts.
 * Not part of `npm test`: a full run takes about an hour on 2 cores. Incremental: a rerun tests
 * again only the mutants whose code or covering tests changed. Everything it writes stays under
 * `reports/` and `.stryker-tmp/`, both ignored by git.
 */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  // Only the test files that import a mutated file run (vitest's module graph).
  vitest: { configFile: 'vitest.config.ts', related: true },
  coverageAnalysis: 'perTest',
  mutate: [
    // what may run without a person, and the limits on it
    'shared/planner/plan.ts',
    'shared/pipeline/daily-limit.ts',
    // re-check, undo data, exactly-once execution and Undo
    'shared/pipeline/execute.ts',
    // the action kinds: where each applies, reversibility, whether auto may run it
    'shared/actions/**/*.ts',
    // the rules that propose an action
    'shared/rules/idle-endpoint.ts',
    'shared/rules/idle-notebook.ts',
    'shared/rules/idle-studio-app.ts',
    'shared/rules/long-training-job.ts',
    'shared/rules/cold-artifacts.ts',
    // who may approve, and that the click came from Slack, once
    'shared/slack/verify.ts',
    'shared/slack/interactions.ts',
  ],
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // Modest on purpose: the integration tests start servers of their own.
  concurrency: 2,
  timeoutMS: 30_000,
  thresholds: { high: 90, low: 80, break: null },
};
