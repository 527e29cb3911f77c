'use strict';
// Verdaccio loads plugins with require() and calls a CommonJS export as a factory: plugin(config, options).
// tufpm is ES modules, so the middleware is imported on first use; requests wait for it (about 100 ms once).
// Verdaccio calls it once for `middlewares: { tufpm }` and once for `filters: { tufpm }`, each with its section.
module.exports = function tufpmVerdaccioPlugin(config, options) {
  const ready = import('./dist/src/index.js');
  let filter;
  return {
    // packuments restricted to the signed release lists (filter.ts, ADR 0025)
    filter_metadata(manifest) {
      if (filter === undefined) {
        filter = ready.then((m) => m.createReleaseListFilter(config, options));
        filter.catch((err) => options.logger.error({ err: err.message }, 'verdaccio-tufpm filter: @{err}'));
      }
      return filter.then((f) => f(manifest));
    },
    register_middlewares(app, auth, storage) {
      const handler = ready.then((m) => m.createTufpmMiddleware(config, options, auth, storage));
      // An unusable configuration (no keys, no metadata) must stop the server, not serve unsigned publishes.
      handler.catch((err) => {
        options.logger.fatal({ err: err.message }, 'verdaccio-tufpm: @{err}');
        process.exitCode = 1;
      });
      let resolved;
      handler.then((h) => (resolved = h), () => undefined);
      app.use((req, res, next) => {
        if (resolved !== undefined) return resolved(req, res, next);
        // Verdaccio's request log already reads the body in flowing mode: hold it until the handler runs.
        req.pause();
        handler.then((h) => {
          req.resume();
          h(req, res, next);
        }, next);
      });
    },
  };
};
