#!/usr/bin/env node
import { runDiffCli } from './diff/diff-cli.js';

// Exit through exitCode, not process.exit, so buffered stdout (--json, --markdown) is flushed.
process.exitCode = await runDiffCli(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
