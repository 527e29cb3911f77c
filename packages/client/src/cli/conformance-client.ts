#!/usr/bin/env node
// tufpm-conformance-client: the client-under-test CLI of theupdateframework/tuf-conformance (CLIENT-CLI.md).
//   --metadata-dir DIR init TRUSTED_ROOT
//   --metadata-dir DIR --metadata-url URL refresh
//   --metadata-dir DIR --metadata-url URL --target-name PATH --target-base-url URL --target-dir DIR download
// Exit code 0 on success, exactly 1 on any failure.
import { runConformanceClient } from './run.js';

runConformanceClient(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tufpm-conformance-client: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
