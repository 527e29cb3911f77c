export { startRegistry, type RegistryOptions, type RunningRegistry, type RequestCounts, type RequestKind } from './server.js';
export type { PublishHook, PublishEvent, VersionManifest } from './hooks.js';
export { RegistryError, type RegistryErrorCode } from './errors.js';
export { addPackageVersion, readStoredPackument, prepareVersion, distTagsAfterPublish, type AddPackageVersionOptions, type AddedVersion, type PreparedVersion } from './store.js';
// The publish rules the Verdaccio plugin shares with this registry (ADR 0018).
export { parsePublishDocument, type ParsedPublish } from './publish.js';
export { resolveMetadataFile } from './tuf-files.js';
export { resolveMerkleFile, merkleLeafVersion } from './merkle-files.js';
// The Merkle profile's timestamp field reader, for the Verdaccio plugin's own reads of the served metadata.
export { timestampMerkleHead } from '@tufpm/merkle';
export { readBody as readRequestBody } from './http-util.js';
export { Observations, servedRoles, healthReport, answerObservation, type RoleState } from './observe.js';
export { withDirLock as withKeyLock } from './lock.js';
export type { StoredPackument } from './packument.js';
export { buildPackageTarball, buildRawTarball, readTarballManifest, type BuildTarballOptions, type RawTarballEntry, type TarballContents } from './tarball.js';
export { tarballDigests, type TarballDigests } from './integrity.js';
export { registryLayout, packumentFile, tarballFile, tufMetadataDir, type RegistryLayout } from './layout.js';
export { isValidPackageName, isValidVersion, targetPathFor, tarballFileName } from './names.js';
export { addToken, generateToken, hashToken, readTokens, type TokenEntry, type TokensFile } from './tokens.js';
export { generateUniverse, type Universe, type UniverseOptions, type UniverseTarget } from './universe.js';
export { Prng } from './prng.js';
export { atomicWrite } from './atomic.js';
export { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-limits.js';
