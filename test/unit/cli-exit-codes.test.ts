import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT, reportError, UsageError } from '../../bin/commands/common.js';
import { ConfigError, CostwatchError, StateFolderError } from '../../shared/errors.js';
import { UnrecordedExecutionError } from '../../shared/pipeline/execute.js';

/* The exit codes the README's table documents, per kind of failure, each reported as one line without a trace. */

function report(err: unknown, debug = false): { code: number; text: string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const code = reportError(err, out, { debug });
  return { code, text };
}

describe('CLI exit codes', () => {
  it('are the documented numbers', () => {
    expect(EXIT).toEqual({ ok: 0, partial: 1, usage: 2, internal: 70 });
  });

  it('exits 2 for bad arguments, a bad file and a state folder that cannot be used, in one line without a trace', () => {
    const cases = [
      new UsageError('unknown command foo'),
      new ConfigError([{ file: 'costwatch.yml', line: 3, column: 5, key: 'rules.idle-endpoint.mode', message: 'must be notify, approve or auto' }]),
      new StateFolderError('the state folder .costwatch/state is in use by another costwatch process', 'locked'),
    ];
    for (const err of cases) {
      const { code, text } = report(err);
      expect(code).toBe(2);
      expect(text).not.toMatch(/\n\s+at /);
    }
  });

  it('exits 70 with the reason for a failure costwatch names, and with "unexpected error" for anything else; the trace only with --debug', () => {
    const named = report(new UnrecordedExecutionError('fraud-v3: the action took effect but could not be recorded (throttled)'));
    const plain = report(new CostwatchError('the sandbox could not start'));
    const unexpected = report(new TypeError('x is undefined'));
    const debugged = report(new TypeError('x is undefined'), true);

    expect([named.code, plain.code, unexpected.code, debugged.code]).toEqual([70, 70, 70, 70]);
    expect(named.text).toBe('costwatch: fraud-v3: the action took effect but could not be recorded (throttled)\n');
    expect(unexpected.text).toBe('costwatch: unexpected error: TypeError: x is undefined (run again with --debug for the trace, and report it if it persists)\n');
    expect(debugged.text).toMatch(/\n\s+at /);
  });
});
