#!/usr/bin/env node
import { runVerifyCli } from './run.js';

// Exit through exitCode, not process.exit, so buffered stdout (--json) is flushed.
process.exitCode = await runVerifyCli(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
});
