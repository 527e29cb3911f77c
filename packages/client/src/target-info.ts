import type { TargetFile } from '@tufpm/models';

/** A target file as signed by the role that the delegation search trusted for it. */
export interface TargetInfo {
  readonly path: string;
  readonly length: number;
  readonly hashes: Readonly<Record<string, string>>;
  readonly targetFile: TargetFile;
  /** delegation path of the signing role, top-level first: ['targets', 'unclaimed', 'unclaimed-3a'] */
  readonly rolePath: readonly string[];
  /** version of the signing role's metadata */
  readonly roleVersion: number;
}
