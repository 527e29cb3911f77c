import { dirname } from 'node:path';
import { doneRequestFile, moveToDone } from '../maintainer/request-store.js';
import { readFileBounded } from '../fs-util.js';
import { approveClaim, parseClaimRequest, verifyClaimRequest } from '../maintainer/claims.js';
import { MAX_ROLE_BYTES } from '../maintainer/role-build.js';
import { claimRequestFile } from '../maintainer/routes.js';
import { type Io, openRepo, parse, print, requestFileArg } from './common.js';

export const usage = `usage: tufpm-repo approve-claim (REQUEST.json | NAME --registry REGISTRY_DIR) [--dir METADATA_DIR] --keys KEYS_DIR [--dry-run] [--json]
  Approves a maintainers' claim request (tufpm claim request/submit) with the offline targets key:
  delegates NAME to the requested keys and threshold (before the unclaimed bins, terminating), installs
  their signed role v1, moves the adopted versions out of the bins, re-signs snapshot and timestamp.
  With NAME, the request submitted to the registry (<registry>/tuf/claims/NAME.json) is used and
  moved to <registry>/tuf/claims/approved/NAME.json afterwards. --dry-run only checks and prints the request.
  Check out of band that the requesters maintain the package before approving.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, { 'dry-run': { type: 'boolean' } }, usage);
  const { file, submitted } = await requestFileArg(p, usage, claimRequestFile);
  const request = parseClaimRequest(await readFileBounded(file, MAX_ROLE_BYTES));
  const summary = {
    name: request.name, threshold: request.threshold, keyids: request.keys.map((k) => k.keyid),
    adopts: [...request.role.signed.targets.keys()],
  };
  if (p.values['dry-run'] === true) {
    const v = verifyClaimRequest(request, new Date());
    print(io, p, `claim of ${request.name}: ${request.threshold} of ${summary.keyids.join(', ')}; role v1 with ${summary.adopts.length} version(s); ${v.distinctKeys} of ${v.threshold} signatures`, { ...summary, signatures: v.distinctKeys });
    return 0;
  }
  const repo = await openRepo(p, usage);
  const res = await approveClaim(repo, request);
  if (submitted) await moveToDone(file, doneRequestFile(dirname(dirname(dirname(file))), 'claim', request.name));
  print(io, p, `approved the claim of ${res.name}: ${res.threshold} of ${res.keyids.join(', ')} (targets v${res.targetsVersion})` +
    (res.adopted.length > 0 ? `\n  adopted from the unclaimed bins: ${res.adopted.join(', ')}` : ''), res);
  return 0;
}
