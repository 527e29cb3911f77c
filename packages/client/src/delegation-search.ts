// TUF 5.6.7: pre-order depth-first search of the delegation graph for one target path.
// The search never decides trust itself: `loadRole(path)` returns the role at the end of `path` verified
// against the delegator just before it (TrustedMetadataSet.updateDelegatedTargets), so a role reached
// through two delegators is verified against each of them.
import type { Metadata, Targets } from '@tufpm/models';
import { DelegationLimitError } from './errors.js';
import type { TargetInfo } from './target-info.js';

export type RoleLoader = (path: readonly string[]) => Promise<Metadata<Targets>>;

export async function searchTarget(targetPath: string, loadRole: RoleLoader, maxDelegations: number): Promise<TargetInfo | undefined> {
  // stack of delegation paths; the top-level targets role is the root of the search
  const stack: string[][] = [['targets']];
  let visited = 0;
  while (stack.length > 0) {
    const path = stack.pop()!;
    // TUF 5.6.7.1: bound on the number of roles visited (a hostile delegation graph cannot keep us busy)
    if (visited >= maxDelegations) throw new DelegationLimitError(targetPath, maxDelegations);
    visited++;
    const md = await loadRole(path);
    // TUF 5.6.7.1: the first role in pre-order that lists the target decides
    const targetFile = md.signed.targets.get(targetPath);
    if (targetFile !== undefined) {
      return {
        path: targetPath,
        length: targetFile.length,
        hashes: targetFile.hashes,
        targetFile,
        rolePath: path,
        roleVersion: md.signed.version,
      };
    }
    const delegations = md.signed.delegations;
    if (delegations === undefined) continue;
    const children: string[][] = [];
    // TUF 5.6.7.2: only roles whose paths / path_hash_prefixes / succinct bin match, in the delegator's order
    for (const child of delegations.rolesForTarget(targetPath)) {
      // TUF 5.6.7.1: a role already on this path adds nothing (same bytes, same children): skip the cycle
      if (!path.includes(child.name)) children.push([...path, child.name]);
      // TUF 5.6.7.2.1: a terminating role ends the search after its own subtree
      if (child.terminating) {
        stack.length = 0;
        break;
      }
    }
    // push in reverse so the first-listed role is popped (visited) first
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return undefined;
}
