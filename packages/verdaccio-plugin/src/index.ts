// The only public surface of verdaccio-tufpm (Verdaccio itself loads verdaccio.cjs).
export { createTufpmMiddleware, type TufpmMiddlewareHooks } from './middleware.js';
export { parsePluginConfig, PluginConfigError, type TufpmPluginConfig } from './config.js';
export { VerdaccioStoreError } from './hand-on.js';
export type { VerdaccioAuth, VerdaccioStorage, VerdaccioLogger, PluginOptions } from './verdaccio-types.js';
export { createReleaseListFilter, restrictToReleaseList, type VerdaccioManifest } from './filter.js';
export { SignedReleaseLists } from './signed-lists.js';
