import { MetadataParseError } from './errors.js';
import { FieldReader, type JsonObject } from './fields.js';
import { MetaFile } from './meta-file.js';
import { Signed, readCommonFields, type SignedOptions } from './signed.js';
import { MAX_SNAPSHOT_ENTRIES } from './limits.js';

export interface SnapshotOptions extends SignedOptions {
  meta?: Map<string, MetaFile>;
}

/**
 * snapshot.json: the version of every targets role. Keys are role name + ".json", not URL-encoded
 * ('targets.json', '@babel/core.json').
 */
export class Snapshot extends Signed {
  readonly type = 'snapshot' as const;
  meta: Map<string, MetaFile>;

  constructor(opts: SnapshotOptions = {}) {
    super(opts);
    this.meta = opts.meta ?? new Map([['targets.json', new MetaFile(1)]]);
  }

  static fromJSON(obj: unknown): Snapshot {
    const r = new FieldReader(obj, 'snapshot');
    const common = readCommonFields(r, 'snapshot');
    const metaObj = r.object('meta');
    const meta = new Map<string, MetaFile>();
    const names = Object.keys(metaObj);
    if (names.length > MAX_SNAPSHOT_ENTRIES) throw new MetadataParseError(`snapshot: ${names.length} meta entries, more than the ${MAX_SNAPSHOT_ENTRIES} allowed`);
    for (const name of names) meta.set(name, MetaFile.fromJSON(metaObj[name], `snapshot.meta.${name}`));
    return new Snapshot({ ...common, meta, unrecognized: r.rest() });
  }

  protected fieldsToJSON(): JsonObject {
    const meta: JsonObject = {};
    for (const [name, m] of this.meta) {
      if (name === '__proto__') Object.defineProperty(meta, name, { value: m.toJSON(), enumerable: true, writable: true, configurable: true });
      else meta[name] = m.toJSON();
    }
    return { meta };
  }
}
