#!/usr/bin/env node
// Build step of the Yarn plugin, after `builder build plugin`: keeps the bundle pure ASCII. V8 holds a
// script's source for as long as its functions live (the whole Yarn command) and stores it with one byte
// per character only if every character is Latin-1; a single `∋` in a dependency's comment (@noble/curves)
// made it keep the 0.64 MB bundle as 1.28 MB of UTF-16 in every Yarn process. esbuild already writes
// strings, identifiers and regular expressions as ASCII escapes, so what is left is in comments: each such
// character is written as its \u escape there. One outside a comment fails the build instead of guessing.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bundle = join(dirname(fileURLToPath(import.meta.url)), '..', 'bundles', '@yarnpkg', 'plugin-tuf.js');
const source = readFileSync(bundle, 'utf8');
let replaced = 0;
const out = source.split('\n').map((line, index) => {
  if (!/[^\x00-\x7f]/.test(line)) return line;
  const first = line.search(/[^\x00-\x7f]/);
  const before = line.slice(0, first);
  const inComment = /^\s*(\*|\/\*|\/\/)/.test(line) || before.includes('//') || before.includes('/*');
  if (!inComment) throw new Error(`ascii-bundle: a non-ASCII character outside a comment at ${bundle}:${index + 1}: ${line.trim().slice(0, 120)}`);
  return line.replace(/[^\x00-\x7f]/g, (ch) => {
    replaced++;
    return [...ch].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  });
}).join('\n');
if (replaced > 0) writeFileSync(bundle, out);
console.log(`ascii-bundle: ${replaced} non-ASCII character(s) in comments escaped; ${bundle} is ASCII`);
