// The release-list side of an install (ADR 0013, ADR 0017): packuments and dist-tag edges checked against
// each package's signed release list, looked up once per package and install. InstallVerifier delegates here.
import type { ReleaseIndex } from '@tufpm/models';
import { checkOfferedReleases, dropUnsignedPreferences, findReleaseList, offeredReleases, tagEdgeMismatch, type TagEdge } from './release-list.js';
import { VerifyError } from './errors.js';
import { exactVersion, notApprovedError, restrictToApproved } from './overlay.js';
import type { TufSession } from './tuf-session.js';

type SignedReleaseList = { role: string; index: ReleaseIndex };

export class ReleaseListChecks {
  /** package name -> its signed release list (ADR 0013), looked up once per install */
  private readonly releaseLists = new Map<string, Promise<SignedReleaseList>>();

  /** `tuf` reads the verifier's current session (it is swapped for a released one after the lookups). */
  constructor(
    private readonly tuf: () => TufSession,
    private readonly isExempt: (name: string) => boolean,
  ) {}

  /** InstallVerifier.checkReleaseList. */
  async checkReleaseList(name: string, packument: unknown, opts: { versionFieldOptional?: boolean }): Promise<void> {
    if (this.isExempt(name)) return;
    const offered = offeredReleases(name, packument, opts);
    // TUF 1.5.2 (indefinite freeze): unsigned ranking fields cannot steer a range off a signed fix.
    dropUnsignedPreferences(packument);
    let list: SignedReleaseList;
    try {
      list = await this.signedReleaseList(name);
    } catch (error) {
      // TUF 5.6.7 / ADR 0017: no approved release list = no approved version of the package (before any download).
      if (this.tuf().state().overlay && error instanceof VerifyError && error.code === 'TUF_PACKAGE_NOT_SIGNED' && error.role === undefined) throw notApprovedError(name, undefined);
      throw error;
    }
    const { role, index } = list;
    if (this.tuf().state().overlay) {
      // TUF 1.5.2 (arbitrary installation): the upstream offers versions the team never reviewed; the resolver
      // sees only the approved ones and the team's tags (ADR 0017). An approved version the upstream hides is still refused below.
      restrictToApproved(packument, index);
      checkOfferedReleases(name, role, index, { versions: offered.versions.filter((v) => index.versions.includes(v)), distTags: { ...index.distTags } });
      return;
    }
    checkOfferedReleases(name, role, index, offered);
  }

  /** InstallVerifier.unapprovedExactVersion. */
  async unapprovedExactVersion(name: string, spec: string): Promise<VerifyError | undefined> {
    const version = exactVersion(spec);
    if (version === undefined || this.isExempt(name) || !this.tuf().state().overlay) return undefined;
    try {
      const { index } = await this.signedReleaseList(name);
      return index.versions.includes(version) ? undefined : notApprovedError(name, version);
    } catch (error) {
      if (error instanceof VerifyError && error.code === 'TUF_PACKAGE_NOT_SIGNED' && error.role === undefined) return notApprovedError(name, version);
      throw error;
    }
  }

  /** InstallVerifier.checkTagEdges. */
  async checkTagEdges(edges: readonly TagEdge[]): Promise<VerifyError[]> {
    const failures: VerifyError[] = [];
    for (const tagEdge of edges) {
      if (this.isExempt(tagEdge.name)) continue;
      const signed = this.signedReleaseList(tagEdge.name);
      try {
        const { role, index } = await signed;
        const failure = tagEdgeMismatch(role, index, tagEdge);
        if (failure !== undefined) failures.push(failure);
      } catch (error) {
        if (!(error instanceof VerifyError)) throw error;
        failures.push(error);
      }
    }
    return failures;
  }

  private signedReleaseList(name: string): Promise<SignedReleaseList> {
    let signed = this.releaseLists.get(name);
    if (signed === undefined) {
      signed = findReleaseList(this.tuf(), name);
      this.releaseLists.set(name, signed);
    }
    return signed;
  }
}
