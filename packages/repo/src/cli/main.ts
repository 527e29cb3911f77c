#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Io, UsageError, formatError } from './common.js';
import * as addPackage from './add-package.js';
import * as applyKeyChange from './apply-key-change.js';
import * as approveClaim from './approve-claim.js';
import * as claim from './claim.js';
import * as importCmd from './import.js';
import * as init from './init.js';
import * as keygen from './keygen.js';
import * as publish from './publish.js';
import * as refreshExpiry from './refresh-expiry.js';
import * as revoke from './revoke.js';
import * as rotateKey from './rotate-key.js';
import * as snapshot from './snapshot.js';
import * as status from './status.js';
import * as timestamp from './timestamp.js';
import * as unclaim from './unclaim.js';
import * as unclaimed from './unclaimed.js';

interface Command {
  usage: string;
  run(argv: string[], io: Io): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  init, keygen, 'add-package': addPackage, publish, claim, unclaimed, snapshot, timestamp,
  'rotate-key': rotateKey, revoke, 'refresh-expiry': refreshExpiry, status, import: importCmd,
  'approve-claim': approveClaim, 'apply-key-change': applyKeyChange, unclaim,
};

const USAGE = `usage: tufpm-repo <command> [options]   (tufpm-repo <command> --help for details)
commands: ${Object.keys(COMMANDS).join(', ')}
exit codes: 0 ok, 1 failure ("CODE: message" on stderr), 2 usage`;

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.err(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    io.err(`unknown command ${JSON.stringify(name)}\n${USAGE}\n`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(err.message + '\n');
      return rest.includes('--help') || rest.includes('-h') ? 0 : 2;
    }
    io.err(formatError(err) + '\n');
    return 1;
  }
}

// Run when executed (also through the node_modules/.bin symlink), not when imported by tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), errIsTTY: process.stderr.isTTY === true };
  process.exitCode = await main(process.argv.slice(2), io);
}
