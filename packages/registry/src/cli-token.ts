import { parseArgs } from 'node:util';
import { addToken } from './tokens.js';
import { isValidPackageName } from './names.js';

export const TOKEN_USAGE = `usage: tufpm-registry token add --dir <dir> --user <name> [--packages <name,@scope/*,...>] [--json]

  Generates a publish token, stores its sha256 in <dir>/tokens.json and prints the token once (it is
  not stored): give it to the publisher for their .npmrc (//host/:_authToken=<token>). Without
  --packages the token may publish every package.`;

/** `tufpm-registry token add`: the way to make tokens.json entries (instead of writing hashes by hand). */
export async function tokenCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { dir: { type: 'string' }, user: { type: 'string' }, packages: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${TOKEN_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${TOKEN_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'add' || values.dir === undefined || values.user === undefined || !/^[A-Za-z0-9._@-]{1,128}$/.test(values.user)) {
    process.stderr.write(`${TOKEN_USAGE}\n`);
    return 2;
  }
  let packages: string[] | undefined;
  if (values.packages !== undefined) {
    packages = values.packages.split(',').map((p) => p.trim()).filter((p) => p !== '');
    const bad = packages.filter((p) => !(isValidPackageName(p) || /^@[a-z0-9][a-z0-9._-]*\/\*$/.test(p)));
    if (packages.length === 0 || bad.length > 0) {
      process.stderr.write(`--packages: not a package name or @scope/*: ${bad.join(', ') || '(empty)'}\n`);
      return 2;
    }
  }
  const token = await addToken(values.dir, { user: values.user, ...(packages === undefined ? {} : { packages }) });
  if (values.json) process.stdout.write(`${JSON.stringify({ user: values.user, packages: packages ?? null, token })}\n`);
  else process.stdout.write(`${token}\n`);
  return 0;
}
