// The only public surface of @tufpm/overlay (ADR 0017, docs/overlay.md).
export { OverlayError, type OverlayErrorCode } from './errors.js';
export { overlayPaths, readOverlayConfig, normalizeUpstream, OVERLAY_CONFIG, type OverlayPaths, type OverlayConfig } from './layout.js';
export { initOverlay, type InitOverlayOptions, type InitOverlayResult } from './init.js';
export { readLockedTree, type LockedTree, type LockedPackage, type Unapprovable } from './lockfiles.js';
export { approveLockfile, cosignStaged, revokeApproval, discardStaged, type ApproveOptions, type ApproveResult, type ApprovalPlan, type CosignResult } from './approve.js';
export { nextApprovalRole, approvedVersions, diffApproval } from './approval-role.js';
export { loadPublished, readStaged, publishRole, submitApproval, hasOnlineKeys, type SubmitResult, type StagedApproval } from './submit.js';
export { fetchTarball, type TarballSource } from './upstream.js';
export { serveMetadata, cacheControlFor, TIMESTAMP_MAX_AGE_SECONDS, type StaticMetadataServer } from './serve.js';
export { renewOnline } from './renew.js';
export { approveIntoRegistry, type ApproveIntoRegistryOptions, type ApproveIntoRegistryResult } from './approve-registry.js';
