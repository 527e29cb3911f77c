import type { Metadata, Targets } from '@tufpm/models';

/**
 * The delegated targets roles of a repository by name, in Map order (trust order is the delegator's
 * `roles` array, not this one). A role read from disk is loaded on first use: `loadRepository` lists
 * every role of the snapshot here without parsing it, so a registry with 10,000 packages in 256 bins keeps
 * in memory only the roles it touched (a publish: one or two bins), not all of them (issue 18: the
 * Verdaccio plugin held every bin, +46 MB). A role never loaded is, by construction, unchanged since
 * it was read: the snapshot's entry for it still holds.
 */
export class DelegatedRoles {
  private readonly roles = new Map<string, Metadata<Targets> | undefined>();
  /** The names of the roles in memory, so that finding a delegator never walks every listed name (O(M)). */
  private readonly loaded = new Set<string>();

  constructor(private readonly load?: (name: string) => Metadata<Targets>) {}

  /** Lists a role that `load` reads on first use. */
  listUnloaded(name: string): void {
    if (this.load === undefined) throw new Error('no loader for unloaded roles');
    this.roles.set(name, undefined);
    this.loaded.delete(name);
  }

  get(name: string): Metadata<Targets> | undefined {
    if (!this.roles.has(name)) return undefined;
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
    return this.roles.has(name);
  }

  /** Replacing or dropping a role loads it first: its bytes as read are what discardChanges restores. */
  set(name: string, md: Metadata<Targets>): this {
    if (this.roles.has(name)) this.get(name);
    this.roles.set(name, md);
    this.loaded.add(name);
    return this;
  }

  delete(name: string): boolean {
    if (this.roles.has(name)) this.get(name);
    this.loaded.delete(name);
    return this.roles.delete(name);
  }

  /** The roles in memory, in the order they were loaded or set. */
  loadedNames(): IterableIterator<string> {
    return this.loaded.values();
  }

  /** How many roles are in memory (the rest are only listed). */
  get loadedCount(): number {
    return this.loaded.size;
  }

  keys(): IterableIterator<string> {
    return this.roles.keys();
  }

  get size(): number {
    return this.roles.size;
  }

  /** Every role, loading those not loaded yet. */
  *entries(): IterableIterator<[string, Metadata<Targets>]> {
    for (const name of [...this.roles.keys()]) yield [name, this.get(name)!];
  }

  *values(): IterableIterator<Metadata<Targets>> {
    for (const [, md] of this.entries()) yield md;
  }

  [Symbol.iterator](): IterableIterator<[string, Metadata<Targets>]> {
    return this.entries();
  }
}
