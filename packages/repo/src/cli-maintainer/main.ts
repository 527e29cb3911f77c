import { formatError } from '../cli/common.js';
import * as claim from './claim.js';
import { type Env, UsageError } from './common.js';
import * as cosign from './cosign.js';
import * as key from './key.js';
import * as keys from './keys.js';
import * as publish from './publish.js';
import * as refresh from './refresh.js';
import * as sign from './sign.js';
import * as verify from './project-verify.js';
import * as diff from './project-diff.js';

interface Command {
  usage: string;
  run(argv: string[], e: Env): Promise<number>;
}

export const COMMANDS: Record<string, Command> = { key, sign, cosign, publish, claim, keys, refresh, verify, diff };

const USAGE = `usage: tufpm <command> [options]   (tufpm <command> --help for details)
Maintainer commands: your package's keys stay on your machine; the registry only checks signatures.
  key generate|show   an encrypted ed25519 maintainer key
  sign <tarball>      sign a release (role version N+1 with the tarball)
  cosign <tarball|name@version>   add your signature to a staged release
  publish <tarball>   upload tarball + signed role (registry and token from .npmrc)
  claim request|cosign|submit     ask the registry operator to delegate a package to your keys
  keys change|approve|submit      rotate or revoke your keys (a threshold of you approves)
  refresh <name>      renew your role's expiry without a release
Project commands (CI, review; from @tufpm/cli):
  verify              every package of yarn.lock / package-lock.json against TUF and tufpm-lock.json
                      (= tufpm-verify; tufpm verify --help)
  diff [BASE_REF]     what a change of tufpm-lock.json does, for review (= tufpm-diff; tufpm diff --help)
exit codes: 0 ok, 1 failure ("CODE: message" on stderr), 2 usage`;

/** Runs the maintainer CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], e: Env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    e.io.err(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    e.io.err(`unknown command ${JSON.stringify(name)}\n${USAGE}\n`);
    return 2;
  }
  try {
    return await cmd.run(rest, e);
  } catch (err) {
    if (err instanceof UsageError) {
      e.io.err(err.message + '\n');
      return rest.includes('--help') || rest.includes('-h') ? 0 : 2;
    }
    e.io.err(formatError(err) + '\n');
    return 1;
  }
}
