/**
 * npm's flat options hold every key of every npm command (~140). Arborist, pacote, npm-registry-fetch and
 * make-fetch-happen copy their options object with a spread several times per request (regFetch, checkResponse,
 * each fetcher), and V8 copies a spread key by key: on the bench's cold `tufpm-npm ci` of 613 tarballs, the two
 * spreads in npm-registry-fetch alone cost ~0.5 s of CPU with 143 keys (docs/benchmarks.md, "tufpm-npm cold").
 * So the options handed to Arborist leave out the keys no library of the install reads: the keys of other npm
 * commands (diff, version, token, sbom, publish provenance, ...). A key missing here keeps passing through:
 * only these are dropped, and the unit test `install-options.test.ts` fails if any library of Arborist's and
 * pacote's dependency closure in node_modules starts reading one of them.
 */
export const KEYS_NO_INSTALL_LIBRARY_READS: ReadonlySet<string> = new Set([
  'allowSameVersion', 'auditLevel', 'bypass-2fa', 'npxCache', 'cidr', 'logColor', 'commitHooks',
  'diffIgnoreAllSpace', 'diffNameOnly', 'diffNoPrefix', 'diffDstPrefix', 'diffSrcPrefix', 'diffText', 'diffUnified',
  'editor', 'fund', 'gitTagVersion', 'globalconfig', 'heading', 'ifPresent', 'includeAttestations', 'initPrivate',
  'orgs', 'packDestination', 'parseable', 'allowScriptsPending', 'allowScriptsPin', 'preid', 'provenance',
  'provenanceFile', 'readOnly', 'sbomFormat', 'sbomType', 'projectScope', 'packagesAll',
  'packagesAndScopesPermission', 'orgsPermission', 'tokenDescription', 'signGitCommit', 'signGitTag',
  'strictAllowScripts', 'tagVersionPrefix', 'workspacesUpdate', 'nodeBin',
]);

/** The flat options without the keys no install library reads (see above). */
export function installLibraryOptions(flat: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(flat)) if (!KEYS_NO_INSTALL_LIBRARY_READS.has(key)) out[key] = flat[key];
  return out;
}
