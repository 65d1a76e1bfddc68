#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx costwatch` works from a clone without a build step.
import { register } from 'tsx/esm/api';

register();
const { main, installFatalHandlers } = await import('./costwatch.ts');
installFatalHandlers();
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env });
