#!/usr/bin/env node
import { pathToFileURL } from 'node:url';
import { debugWanted, EXIT, oneLine, reportError, UsageError } from './commands/common.js';
import { digestCommand } from './commands/digest.js';
import { eventCommand } from './commands/event.js';
import { sandboxCommand } from './commands/sandbox.js';
import { scanCommand, type Io } from './commands/scan.js';
import { savingsCommand } from './commands/savings.js';
import { serveCommand } from './commands/serve.js';
import { slackCommand } from './commands/slack.js';
import { validateCommand } from './commands/validate.js';

const USAGE = `costwatch — cost watchdog for AI workloads on AWS, Google Cloud and Azure

Usage:
  costwatch scan [--config FILE] [--sandbox [WORLD]] [--cloud aws|gcp|azure] [--rules ID,ID] [--dry-run] [--json] [--state-dir DIR] [--wait-lock SECONDS]
  costwatch validate [FILE]
  costwatch savings [--since DATE] [--json] [--state-dir DIR]
  costwatch digest --out DIR [--config FILE] [--sandbox [WORLD]] [--state-dir DIR]
  costwatch sandbox serve [WORLD] [--port 4566] [--host 127.0.0.1]
  costwatch event parse FILE [--source aws-budgets|aws-anomaly|sagemaker|gcp-budget|azure-budget]
  costwatch slack manifest (--url HTTPS_URL | --socket-mode) [--name NAME] [--config FILE] [--json]
  costwatch serve [--config FILE] [--sandbox [WORLD]] [--port 3000] [--host 127.0.0.1] [--state-dir DIR] [--wait-lock SECONDS] [--no-scan]
  costwatch help | --version

Options for every command: --debug shows the trace of an unexpected error.

Exit codes: 0 done; 1 scan done but a cloud/scope/region could not be read;
            2 bad arguments, policy file or world file, or the state folder in use
              (another costwatch process), not a folder, unreadable or corrupted;
            70 unexpected error.
See README.md for every command, policy key and the world-file format.
`;

/** Runs the CLI with argv (without node and script) and returns the exit code. */
export async function main(allArgv: readonly string[], io: Io): Promise<number> {
  const debug = debugWanted(allArgv, io.env);
  const argv = allArgv.filter((a) => a !== '--debug');
  const [cmd, ...rest] = argv;
  // The SDK warns on Node 20 about its releases after January 2027; the lock file pins this one.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  try {
    switch (cmd) {
      case 'scan':
        return await scanCommand(rest, io);
      case 'validate':
        return await validateCommand(rest, io);
      case 'savings':
        return await savingsCommand(rest, io);
      case 'digest':
        return await digestCommand(rest, io);
      case 'sandbox':
        return await sandboxCommand(rest, io);
      case 'slack':
        return await slackCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'event':
        return await eventCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return cmd === undefined ? EXIT.usage : EXIT.ok;
      case '--version':
        io.stdout.write('costwatch 0.1.0\n');
        return EXIT.ok;
      default:
        throw new UsageError(`unknown command ${cmd}`);
    }
  } catch (err) {
    if (err instanceof TypeError && 'code' in err && String((err as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      return reportError(new UsageError(err.message), io.stderr, { debug });
    }
    return reportError(err, io.stderr, { debug });
  }
}

/** Makes whatever escapes (a library failing inside a stream or a timer) one line and exit 70, not a trace. */
export function installFatalHandlers(): void {
  const fatal = (err: unknown) => {
    const debug = debugWanted(process.argv, process.env);
    if (debug && err instanceof Error) process.stderr.write(`${err.stack ?? err.message}\n`);
    process.stderr.write(`costwatch: unexpected error: ${oneLine(err)}${debug ? '' : ' (run again with --debug for the trace)'}\n`);
    process.exit(EXIT.internal);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  installFatalHandlers();
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env });
  process.exitCode = code;
}
