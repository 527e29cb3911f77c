#!/usr/bin/env node
// The `tufpm` bin (maintainers); the commands live in ../cli-maintainer/.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { main } from '../cli-maintainer/main.js';
import { terminalPrompt } from '../cli-maintainer/common.js';

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2), {
    io: { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), errIsTTY: process.stderr.isTTY === true },
    env: process.env,
    cwd: process.cwd(),
    ...(process.stdin.isTTY === true ? { prompt: terminalPrompt } : {}),
  });
}
