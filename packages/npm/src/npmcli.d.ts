/** The parts of npm's helper packages that tufpm-npm calls (they ship no types). */
declare module '@npmcli/map-workspaces' {
  /** name -> absolute path of each workspace of the package at `cwd` */
  function mapWorkspaces(opts: { cwd: string; pkg: Record<string, unknown> }): Promise<Map<string, string>>;
  export default mapWorkspaces;
}

declare module '@npmcli/package-json' {
  const PackageJson: {
    normalize(path: string): Promise<{ content: Record<string, unknown> }>;
  };
  export default PackageJson;
}

declare module 'npm-pick-manifest' {
  /** npm's choice of a version of a packument for a spec (range, tag or version), honouring `before`. */
  function pickManifest(packument: unknown, wanted: string, opts?: Record<string, unknown>): { name: string; version: string; [k: string]: unknown };
  export default pickManifest;
}

declare module 'npm-install-checks' {
  /** throws an Error with code EBADENGINE when `target.engines` excludes the given versions */
  export function checkEngine(target: { _id: string; engines: Record<string, string> }, npmVer: string | undefined, nodeVer: string, force?: boolean): void;
}

declare module 'npm-package-arg' {
  /** npm's parse of a package spec (the kind npm's allowScripts policy keys are written in). */
  interface Result {
    type: 'git' | 'tag' | 'version' | 'range' | 'file' | 'directory' | 'remote' | 'alias';
    name: string | null;
    rawSpec: string;
    fetchSpec: string | null;
  }
  function npa(spec: string, where?: string): Result;
  export default npa;
}

declare module '@npmcli/arborist/lib/script-allowed.js' {
  /** Arborist's rule for a pinned allowScripts key: exact versions joined by `||`, nothing else. */
  export function isExactVersionDisjunction(range: string): boolean;
}
