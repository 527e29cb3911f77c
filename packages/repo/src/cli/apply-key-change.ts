import { dirname } from 'node:path';
import { doneRequestFile, moveToDone } from '../maintainer/request-store.js';
import { readFileBounded } from '../fs-util.js';
import { applyKeyChange, parseKeyChange } from '../maintainer/key-change.js';
import { MAX_ROLE_BYTES } from '../maintainer/role-build.js';
import { keyChangeFile } from '../maintainer/routes.js';
import { type Io, openRepo, parse, print, requestFileArg } from './common.js';

export const usage = `usage: tufpm-repo apply-key-change (REQUEST.json | NAME --registry REGISTRY_DIR) [--dir METADATA_DIR] --keys KEYS_DIR [--json]
  Applies a maintainers' key change (tufpm keys change/approve/submit) with the offline targets key,
  after checking that a threshold of the package's current keys approved it and a threshold of the new
  keys signed the re-signed role. With NAME, the request submitted to the registry
  (<registry>/tuf/key-changes/NAME.json) is used and moved to tuf/key-changes/applied/ afterwards.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, {}, usage);
  const { file, submitted } = await requestFileArg(p, usage, keyChangeFile);
  const request = parseKeyChange(await readFileBounded(file, MAX_ROLE_BYTES));
  const repo = await openRepo(p, usage);
  const res = await applyKeyChange(repo, request);
  if (submitted) await moveToDone(file, doneRequestFile(dirname(dirname(dirname(file))), 'key-change', request.name));
  print(io, p, `applied the key change of ${res.name}: now ${res.threshold} of ${res.keyids.join(', ')} (role v${res.roleVersion})`, res);
  return 0;
}
