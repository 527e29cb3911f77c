import { rename, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isErrno, readFileBounded } from '../fs-util.js';
import { applyKeyChange, parseKeyChange } from '../maintainer/key-change.js';
import { MAX_ROLE_BYTES } from '../maintainer/role-build.js';
import { keyChangeFile } from '../maintainer/routes.js';
import { type Io, UsageError, openRepo, parse, print, str } from './common.js';

export const usage = `usage: tufpm-repo apply-key-change (REQUEST.json | NAME --registry REGISTRY_DIR) [--dir METADATA_DIR] --keys KEYS_DIR [--json]
  Applies a maintainers' key change (tufpm keys change/approve/submit) with the offline targets key,
  after checking that a threshold of the package's current keys approved it and a threshold of the new
  keys signed the re-signed role. With NAME, the request submitted to the registry
  (<registry>/tuf/claims/NAME.key-change.json) is used and renamed to *.applied.json afterwards.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, {}, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const arg = p.positionals[0]!;
  let file = resolve(arg);
  let submitted = false;
  try {
    await stat(file);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    const registry = str(p, 'registry');
    if (registry === undefined) throw new UsageError(`${arg} is not a file; give --registry to take the request submitted for package ${arg}\n\n${usage}`);
    file = keyChangeFile(resolve(registry), arg);
    submitted = true;
  }
  const request = parseKeyChange(await readFileBounded(file, MAX_ROLE_BYTES));
  const repo = await openRepo(p, usage);
  const res = await applyKeyChange(repo, request);
  if (submitted) await rename(file, file.replace(/\.json$/, '.applied.json'));
  print(io, p, `applied the key change of ${res.name}: now ${res.threshold} of ${res.keyids.join(', ')} (role v${res.roleVersion})`, res);
  return 0;
}
