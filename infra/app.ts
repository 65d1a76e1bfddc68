#!/usr/bin/env node
// `cdk synth` / `cdk deploy` run this (cdk.json). Usage: docs/deploy.md.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, formatProblem } from '../shared/errors.js';
import { buildCostwatchApp } from './build-app.js';

const app = new App();
// Every synth is checked: an unacknowledged AwsSolutions finding fails it (`-c nag=false` skips).
if (app.node.tryGetContext('nag') !== 'false' && app.node.tryGetContext('nag') !== false) {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
try {
  const { warnings } = await buildCostwatchApp(app);
  for (const w of warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  app.synth();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // The same report as `costwatch validate`, so a file refused there is refused here the same way.
  process.stderr.write(`${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}:\n${err.message}\n`);
  process.exit(2);
}
