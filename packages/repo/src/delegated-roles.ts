import type { Metadata, Targets } from '@tufpm/models';

/**
 * Where the names of roles not listed one by one come from: in the Merkle snapshot profile, the committed
 * tree (every live leaf but `targets` is a delegated role), so opening a repository of M roles does not
 * build a map of M names (issue 21). `has` is a tree lookup (O(log M)); `names` walks the tree (O(M), for
 * the operations that look at every role: status, the fallback search for a delegator).
 */
export interface RoleNameSource {
  has(name: string): boolean;
  names(): Iterable<string>;
}

/**
 * The delegated targets roles of a repository by name, in Map order (trust order is the delegator's
 * `roles` array, not this one). A role read from disk is loaded on first use: `loadRepository` lists
 * every role of the snapshot here without parsing it (or, in the Merkle profile, names the tree as the
 * source of the names), so a registry with 10,000 packages in 256 bins keeps in memory only the roles it
 * touched (a publish: one or two bins), not all of them (issue 18: the Verdaccio plugin held every bin,
 * +46 MB). A role never loaded is, by construction, unchanged since it was read: the snapshot's (or the
 * tree's) entry for it still holds.
 */
export class DelegatedRoles {
  private readonly roles = new Map<string, Metadata<Targets> | undefined>();
  /** The names of the roles in memory, so that finding a delegator never walks every listed name (O(M)). */
  private readonly loaded = new Set<string>();
  private source: RoleNameSource | undefined;
  /** Roles of `source` deleted here (removed or replaced); `source` still names them until the next commit. */
  private readonly dropped = new Set<string>();

  constructor(private readonly load?: (name: string) => Metadata<Targets>) {}

  /** Lists a role that `load` reads on first use. */
  listUnloaded(name: string): void {
    if (this.load === undefined) throw new Error('no loader for unloaded roles');
    this.roles.set(name, undefined);
    this.loaded.delete(name);
    this.dropped.delete(name);
  }

  /** Every name `source` has is a role that `load` reads on first use (as if listed with listUnloaded). */
  listFrom(source: RoleNameSource): void {
    if (this.load === undefined) throw new Error('no loader for unloaded roles');
    this.source = source;
  }

  private inSource(name: string): boolean {
    return this.source !== undefined && !this.roles.has(name) && !this.dropped.has(name) && this.source.has(name);
  }

  get(name: string): Metadata<Targets> | undefined {
    if (!this.roles.has(name) && !this.inSource(name)) return undefined;
    let md = this.roles.get(name);
    if (md === undefined) {
      md = this.load!(name);
      this.roles.set(name, md);
      this.loaded.add(name);
    }
    return md;
  }

  /** Whether the role is in memory (false for a role still only listed). */
  isLoaded(name: string): boolean {
    return this.roles.get(name) !== undefined;
  }

  has(name: string): boolean {
    return this.roles.has(name) || this.inSource(name);
  }

  /** Replacing or dropping a role loads it first: its bytes as read are what discardChanges restores. */
  set(name: string, md: Metadata<Targets>): this {
    if (this.has(name)) this.get(name);
    this.roles.set(name, md);
    this.loaded.add(name);
    this.dropped.delete(name);
    return this;
  }

  delete(name: string): boolean {
    if (!this.has(name)) return false;
    this.get(name);
    this.loaded.delete(name);
    this.roles.delete(name);
    if (this.source !== undefined) this.dropped.add(name);
    return true;
  }

  /** The roles in memory, in the order they were loaded or set. */
  loadedNames(): IterableIterator<string> {
    return this.loaded.values();
  }

  /** How many roles are in memory (the rest are only listed). */
  get loadedCount(): number {
    return this.loaded.size;
  }

  /** Every role name: those listed or set here, then the rest of `source` (an O(M) walk with a source). */
  *keys(): IterableIterator<string> {
    yield* this.roles.keys();
    if (this.source === undefined) return;
    for (const name of this.source.names()) if (!this.roles.has(name) && !this.dropped.has(name)) yield name;
  }

  get size(): number {
    if (this.source === undefined) return this.roles.size;
    let n = 0;
    for (const _ of this.keys()) n++;
    return n;
  }

  /** Every role, loading those not loaded yet. */
  *entries(): IterableIterator<[string, Metadata<Targets>]> {
    for (const name of [...this.keys()]) yield [name, this.get(name)!];
  }

  *values(): IterableIterator<Metadata<Targets>> {
    for (const [, md] of this.entries()) yield md;
  }

  [Symbol.iterator](): IterableIterator<[string, Metadata<Targets>]> {
    return this.entries();
  }
}
