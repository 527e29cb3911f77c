#!/usr/bin/env node
import { runAuditorCli } from './cli.js';

// Exit through exitCode, not process.exit, so buffered stdout (--json) is flushed.
process.exitCode = await runAuditorCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
