// ADR 0017 for Yarn: `yarn add pkg@1.2.3` (or a package.json edit) asking for exactly a version the team's
// reviewers did not approve. The upstream's unapproved versions are hidden from Yarn's resolver
// (release-lists.ts), which would say "No candidates found"; this says TUF_NOT_APPROVED with the approve
// command, during resolution, before anything is downloaded. Only descriptors yarn.lock does not already
// resolve are looked at, so an install from a complete lockfile waits on nothing here (a locked unapproved
// version is refused by the tree check).
import { MessageName, ReportError, structUtils, type Hooks } from '@yarnpkg/core';
import { TufError } from '@tufpm/models';
import { describeTufError } from './report-errors.js';
import { openingFor } from './release-lists.js';
import { TufSession } from './session.js';

type ReduceDependency = NonNullable<Hooks['reduceDependency']>;

export const reduceDependency: ReduceDependency = async (dependency, project) => {
  if (project.storedResolutions.has(dependency.descriptorHash)) return dependency;
  const range = dependency.range.startsWith('npm:') ? dependency.range.slice(4) : dependency.range;
  // exact versions only (a range with no approved match is the resolver's to report); `npm:other@1.0.0` aliases are left to it
  if (!/^=?v?\d+\.\d+\.\d+[-+0-9A-Za-z.]*$/.test(range)) return dependency;
  const configuration = project.configuration;
  const session = await openingFor(configuration, () => TufSession.open(project)).catch((error: unknown) => error);
  // not opened: validateProject and the fetch step report why
  if (!(session instanceof TufSession)) return dependency;
  let unapproved;
  try {
    unapproved = await session.verifier.unapprovedExactVersion(structUtils.stringifyIdent(dependency), range);
  } catch (error) {
    if (error instanceof TufError) return dependency; // the tree check meets the same failure and reports it with its context
    throw error;
  }
  if (unapproved === undefined) return dependency;
  const text = describeTufError(unapproved);
  if (session.enforce) throw new ReportError(MessageName.UNNAMED, text);
  session.warnings.push(text);
  return dependency;
};
