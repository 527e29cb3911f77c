import { MetadataParseError } from './errors.js';
import { FieldReader, type JsonObject } from './fields.js';
import { MetaFile } from './meta-file.js';
import { Signed, readCommonFields, type SignedOptions } from './signed.js';

export interface TimestampOptions extends SignedOptions {
  snapshotMeta?: MetaFile;
}

/** timestamp.json: points at exactly one snapshot version. */
export class Timestamp extends Signed {
  readonly type = 'timestamp' as const;
  snapshotMeta: MetaFile;

  constructor(opts: TimestampOptions = {}) {
    super(opts);
    this.snapshotMeta = opts.snapshotMeta ?? new MetaFile(1);
  }

  static fromJSON(obj: unknown): Timestamp {
    const r = new FieldReader(obj, 'timestamp');
    const common = readCommonFields(r, 'timestamp');
    const meta = r.object('meta');
    const names = Object.keys(meta);
    // TUF 4.6: timestamp lists snapshot.json and nothing else.
    if (names.length !== 1 || names[0] !== 'snapshot.json') {
      throw new MetadataParseError('timestamp: meta must contain exactly "snapshot.json"');
    }
    const snapshotMeta = MetaFile.fromJSON(meta['snapshot.json'], 'timestamp.meta.snapshot.json');
    return new Timestamp({ ...common, snapshotMeta, unrecognized: r.rest() });
  }

  protected fieldsToJSON(): JsonObject {
    return { meta: { 'snapshot.json': this.snapshotMeta.toJSON() } };
  }
}
