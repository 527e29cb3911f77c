/**
 * The part of @npmcli/arborist 9.9.x that tufpm-npm uses. Arborist ships no types; this declares only what
 * we call, so that a changed Arborist API fails the build or the tests rather than an install.
 */
declare module '@npmcli/arborist' {
  export interface ArboristEdge {
    readonly from: ArboristNode | null;
    readonly name: string;
    /** the range in effect: the project's `overrides` replace rawSpec (the declaring manifest's) */
    readonly spec: string;
    readonly rawSpec: string;
    /** 'prod' | 'dev' | 'optional' | 'peer' | 'peerOptional' | 'workspace' */
    readonly type: string;
    /** the node serving the edge; null when unmet (or an optional one skipped) */
    readonly to: ArboristNode | null;
    readonly valid: boolean;
  }

  export interface ArboristNode {
    readonly name: string;
    readonly packageName: string;
    readonly version: string;
    readonly location: string;
    readonly path: string;
    readonly package: { name?: string; version?: string; [key: string]: unknown };
    resolved: string | null;
    integrity: string | null;
    readonly isLink: boolean;
    readonly isProjectRoot: boolean;
    readonly isWorkspace: boolean;
    readonly isRoot: boolean;
    readonly inBundle: boolean;
    /** in a dependency's bundle (not the root project's own bundleDependencies) */
    readonly inDepBundle: boolean;
    readonly target: ArboristNode;
    readonly dev: boolean;
    readonly optional: boolean;
    readonly peer: boolean;
    readonly devOptional: boolean;
    readonly extraneous: boolean;
    readonly inert?: boolean;
    readonly edgesIn: Set<ArboristEdge>;
    readonly edgesOut: Map<string, ArboristEdge>;
    readonly children: Map<string, ArboristNode>;
    shouldOmit?(omit: Set<string>): boolean;
  }

  export interface ArboristTree extends ArboristNode {
    readonly inventory: Map<string, ArboristNode> & {
      values(): IterableIterator<ArboristNode>;
      /** every value of `key` (one argument), or the nodes whose `key` is `value` */
      query(key: 'name'): Set<string>;
      query(key: 'name', value: string): Set<ArboristNode>;
    };
  }

  export interface ArboristOptions {
    path: string;
    registry?: string;
    cache?: string;
    audit?: boolean;
    fund?: boolean;
    ignoreScripts?: boolean;
    omit?: string[];
    packageLock?: boolean;
    save?: boolean;
    saveType?: 'prod' | 'dev' | 'optional' | 'peer' | 'peerOptional' | null;
    saveExact?: boolean;
    preferOnline?: boolean;
    preferOffline?: boolean;
    offline?: boolean;
    replaceRegistryHost?: string;
    progress?: boolean;
    [key: string]: unknown;
  }

  export interface BuildIdealTreeOptions {
    add?: string[];
    rm?: string[];
    saveType?: ArboristOptions['saveType'];
    omit?: string[];
    update?: boolean | { all?: boolean; names?: string[] };
    [key: string]: unknown;
  }

  export default class Arborist {
    constructor(options: ArboristOptions);
    readonly options: ArboristOptions;
    idealTree: ArboristTree | null;
    virtualTree: ArboristTree | null;
    actualTree: ArboristTree | null;
    buildIdealTree(options?: BuildIdealTreeOptions): Promise<ArboristTree>;
    loadVirtual(options?: Record<string, unknown>): Promise<ArboristTree>;
    loadActual(options?: Record<string, unknown>): Promise<ArboristTree>;
    reify(options?: ArboristOptions | BuildIdealTreeOptions): Promise<ArboristTree>;
    /** buildIdealTree (cached per instance), drop extraneous nodes from it, reify */
    prune(options?: ArboristOptions | BuildIdealTreeOptions): Promise<ArboristTree>;
    [key: symbol]: unknown;
  }
}
