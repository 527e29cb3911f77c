#!/usr/bin/env node
// Committed entry point, so that `npm ci` links the bin before the TypeScript build exists.
// It runs the compiled CLI as if that file had been executed directly.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const target = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
if (!existsSync(target)) {
  process.stderr.write('tufpm-auditor: not built yet: run `npm run build` in the tufpm checkout first\n');
  process.exit(1);
}
process.argv[1] = target;
await import(pathToFileURL(target).href);
