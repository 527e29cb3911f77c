#!/usr/bin/env node
import { runCli } from './run.js';
import { processOutput } from './report.js';

// Exit through exitCode, not process.exit, so buffered stdout (--json) is flushed.
process.exitCode = await runCli(process.argv.slice(2), { cwd: process.cwd(), env: process.env, out: processOutput });
