import { TufError } from '@tufpm/models';

/** Codes raised by install-time verification (both Yarn and npm). See docs/errors.md. */
export type VerifyErrorCode =
  | 'TUF_PACKAGE_NOT_SIGNED'
  | 'TUF_TARBALL_MISMATCH'
  | 'TUF_PIN_ROLLBACK'
  | 'TUF_PIN_MISMATCH'
  | 'TUF_CHECKSUM_BINDING'
  | 'TUF_UNSAFE_SOURCE'
  | 'TUF_NO_TRUSTED_ROOT'
  | 'TUF_LOCKFILE'
  | 'TUF_BAD_TARBALL_URL'
  | 'TUF_SIGNER_DOWNGRADE'
  | 'TUF_CLAIM_DROPPED'
  | 'TUF_NOT_MAINTAINER_SIGNED'
  | 'TUF_EXTRANEOUS_DEPENDENCY'
  | 'TUF_MANIFEST_FIELD'
  | 'TUF_MANIFEST_UNSIGNED'
  | 'TUF_BIN_ESCAPE'
  | 'TUF_TARBALL_ENTRY'
  | 'TUF_TRUSTED_ROOT_MALFORMED'
  | 'TUF_REGISTRY_UNREACHABLE'
  | 'TUF_STATE_DIR_UNSAFE'
  | 'TUF_EDGE_PACKAGE'
  | 'TUF_EDGE_RANGE'
  | 'TUF_RELEASE_HIDDEN'
  | 'TUF_DIST_TAG_MISMATCH'
  | 'TUF_PIN_ROOT'
  | 'TUF_RELEASE_KEY_MISMATCH'
  | 'TUF_NOT_APPROVED'
  | 'TUF_PINS_MISSING'
  | 'TUF_PINS_STALE'
  | 'TUF_AUDITORS_CONFIG'
  | 'TUF_AUDITORS_REMOVED';

export interface VerifyErrorDetails {
  packageName?: string;
  version?: string;
  role?: string;
  /** The attack this check stops, in plain words ("tampered tarball"). */
  attack: string;
  /** What the user can do about it. */
  recovery: string;
  cause?: unknown;
}

/**
 * A verification failure during an install. It names what was attacked and how to recover, so that the
 * Yarn report and the npm CLI can print it without knowing every code.
 */
export class VerifyError extends TufError {
  readonly packageName?: string;
  readonly version?: string;
  readonly role?: string;
  readonly attack: string;
  readonly recovery: string;

  /** `code` is one of VerifyErrorCode, or a client code (TUF_THRESHOLD, ...) kept when naming the package. */
  constructor(code: VerifyErrorCode | string, message: string, details: VerifyErrorDetails) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'VerifyError';
    this.packageName = details.packageName;
    this.version = details.version;
    this.role = details.role;
    this.attack = details.attack;
    this.recovery = details.recovery;
  }
}

/** What a client-level TUF failure means for someone installing packages. */
const CLIENT_ATTACKS: Record<string, { attack: string; recovery: string }> = {
  TUF_EXPIRED: {
    attack: 'freeze (expired metadata)',
    recovery: 'the registry must re-sign its metadata; do not install until it serves unexpired metadata',
  },
  TUF_ROLLBACK: {
    attack: 'rollback (metadata older than already trusted)',
    recovery: 'the registry or a mirror is serving old metadata; retry against the real registry',
  },
  TUF_THRESHOLD: {
    attack: 'metadata not signed by enough trusted keys (forged or compromised-key metadata)',
    recovery: 'do not install; report it to the registry operator or the package maintainers',
  },
  TUF_VERSION_MISMATCH: {
    attack: 'mix-and-match (metadata versions that were never published together)',
    recovery: 'the registry or a mirror serves inconsistent metadata; retry later against the real registry',
  },
  TUF_LENGTH: {
    attack: 'endless data (a file longer than allowed)',
    recovery: 'the registry or a mirror serves oversized data; retry against the real registry',
  },
  TUF_METADATA_TOO_LARGE: {
    attack: 'endless data (metadata above the size bound), or a repository that outgrew the bound',
    recovery: 'nothing was installed or cached; if the registry\'s snapshot really is that large (ask its operator), raise the bound: tufSnapshotMaxLength (Yarn) or tufpm-snapshot-max-length (tufpm-npm)',
  },
  TUF_HASH: {
    attack: 'mix-and-match or tampering (hash differs from the signed one)',
    recovery: 'the registry or a mirror serves altered metadata; retry against the real registry',
  },
  // ADR 0019: a stall or a trickle is what a slow network or an overloaded registry does; a slow-retrieval
  // attacker does the same. Refused either way; the report says what happened and does not claim an attack.
  TUF_SLOW_RETRIEVAL: {
    attack: 'none detected: the registry or the network stalled or sent too slowly (a slow-retrieval attack looks the same; refused either way)',
    recovery: 'nothing was installed or cached; retry later or against another mirror (the wait is Yarn\'s httpTimeout or npm\'s fetch-timeout, at most 30 s without data and 1 KiB/s on average after 10 s)',
  },
  TUF_MERKLE_PROOF: {
    attack: 'forged Merkle proof (a role shown with another version, a missing role shown as present or a present one as absent, or a proof for another tree)',
    recovery: 'nothing was installed; the registry or a mirror serves proofs that do not match the signed tree root: retry against the real registry and report it to its operator',
  },
  TUF_MERKLE_ROLLBACK: {
    attack: 'rollback of a role in a new Merkle tree (a version below the one this machine verified before, or a tree with leaves removed)',
    recovery: 'nothing was installed; the registry or a mirror serves an old or forked tree: retry against the real registry and report it to its operator',
  },
  TUF_MERKLE_FORK: {
    attack: 'forked history: two different Merkle trees signed for one snapshot epoch (split view)',
    recovery: 'do not install; the registry signed two histories (online key compromise): report it to the registry operator and your auditors',
  },
  TUF_MERKLE_UNAUDITED: {
    attack: 'split view (a tree the auditors did not verify, possibly shown to this user only), or auditors that have not caught up',
    recovery: 'nothing was installed; retry in a few minutes (auditors cosign each new tree shortly after it is published); if it persists, compare the tree root with your auditors and report it. The auditor keys and threshold are in tufpm-auditors.json',
  },
  TUF_MERKLE_PROFILE: {
    attack: 'snapshot profile confusion (a timestamp without the signed tree root in the Merkle profile, or with one in the classic profile)',
    recovery: 'nothing was installed; the registry serves metadata of the wrong profile: report it to the registry operator',
  },
  TUF_PARSE: {
    // a body cut short with a matching Content-Length parses as broken JSON: the network can do that too
    attack: 'malformed metadata (a download cut short in transit, or a broken or hostile registry)',
    recovery: 'nothing was installed or cached; retry, and if it persists report it to the registry operator',
  },
};

/** Attack and recovery words for any TufError code, for reports. */
export function describeFailure(code: string): { attack: string; recovery: string } {
  return (
    CLIENT_ATTACKS[code] ?? {
      attack: 'verification failure',
      recovery: 'nothing was installed; see the error code in docs/errors.md',
    }
  );
}
