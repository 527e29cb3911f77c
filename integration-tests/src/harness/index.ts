// The integration-test harness: the shared signed registry and its attack helpers.
export { createSignedRegistry, repoRoot, type SignedRegistry, type SignedRegistryOptions } from './signed-registry.js';
export { freezeTimestamp, mixAndMatch, overLengthMetadata, fastForwardTimestamp, recoverFromFastForward, rollbackRole } from './attacks-repository.js';
export { compromiseAndRevoke, compromiseOnlineKeys, forgeRootRotation, rollbackTargetsPastClaim, substituteWithOnlineKeys } from './attacks-keys.js';
export {
  tamperTarball,
  poisonTarballOnly,
  signWithWrongKey,
  publishUnsigned,
  extraneousDependency,
  refreshRole,
  roleOf,
  nextVersion,
  type AttackContext,
  type AttackResult,
  type Interceptor,
  type Release,
} from './attacks.js';
export { captureDir, restoreDir, type SavedState } from './attacks-metadata.js';
export type { Claim, ClaimSpec, TestKeys, TestKey, KeyName, MaintainerName, FixtureSummary } from '../../../fixtures/lib/build.mjs';
