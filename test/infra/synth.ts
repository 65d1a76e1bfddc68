import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildCostwatchApp, type BuildOptions, type CostwatchApp } from '../../infra/build-app.js';
import { PROJECT_ROOT } from '../../infra/watchdog-stack.js';

/** A violation in CDK's validation report. */
export interface ReportedViolation {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly resources: readonly string[];
}

/** A synthesized costwatch app and where it was written. */
export interface Synthesized {
  readonly app: App;
  readonly built: CostwatchApp;
  readonly assembly: CloudAssembly;
  readonly outdir: string;
  /** Every violation any validation plugin (cdk-nag included) reported, acknowledged ones excluded. */
  readonly violations: readonly ReportedViolation[];
  template(stackName: string): Record<string, unknown>;
  cleanup(): Promise<void>;
}

/**
 * Builds and synthesizes the app once, with cdk-nag's AwsSolutions checks registered as the
 * issue asks (`Validations.of(app).addPlugins`). The outdir is inside the project so that
 * bundles can be imported with node_modules resolvable.
 */
export async function synthCostwatch(options: BuildOptions & { context?: Record<string, unknown> } = {}): Promise<Synthesized> {
  const outdir = join(PROJECT_ROOT, 'cdk.out', `test-${randomUUID()}`);
  // Violations are read from the report and asserted by the tests, with their list in the failure.
  // Path and asset metadata as the CDK CLI turns them on, so constructs and bundles can be found.
  const context = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true, '@aws-cdk/core:failSynthOnValidationErrors': false, ...options.context };
  // CDK's built-in CloudFormation schema check only warns and takes seconds; `cdk synth` in CI runs it.
  const app = new App({ outdir, context, builtinCloudFormationValidation: false });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const built = await buildCostwatchApp(app, options);
  let assembly: CloudAssembly;
  try {
    assembly = app.synth();
  } catch (err) {
    await rm(outdir, { recursive: true, force: true });
    throw err;
  }
  return {
    app,
    built,
    assembly,
    outdir,
    violations: readViolations(assembly.directory),
    template: (name) => assembly.getStackByName(name).template as Record<string, unknown>,
    cleanup: () => rm(outdir, { recursive: true, force: true }),
  };
}

function readViolations(dir: string): ReportedViolation[] {
  let report: { pluginReports?: { pluginName?: string; violations?: { ruleName: string; severity?: string; violatingConstructs?: { constructPath?: string }[] }[] }[] };
  try {
    report = JSON.parse(readFileSync(join(dir, 'validation-report.json'), 'utf8'));
  } catch {
    return [];
  }
  return (report.pluginReports ?? []).flatMap((p) =>
    (p.violations ?? []).map((v) => ({
      plugin: p.pluginName ?? '?',
      rule: v.ruleName,
      severity: v.severity ?? '?',
      resources: (v.violatingConstructs ?? []).map((r) => r.constructPath ?? '?'),
    })),
  );
}
