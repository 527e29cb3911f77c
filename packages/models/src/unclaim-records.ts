// Unclaim records (ADR 0026): the top-level targets role, signed with the OFFLINE targets key, says which
// packages were handed back from their maintainers' role to the registry-signed hash bins on purpose. A
// field of top-level `targets`' signed part, so it is covered by the offline signature and every TUF
// client keeps it verbatim (TUF 4: unrecognized fields are kept and re-serialised); nothing a registry
// holding only online keys signs (the `unclaimed` role, its bins, snapshot, timestamp) can carry one.
// One definition for the repository (which writes them) and the installers (which read them).
import { MetadataParseError } from './errors.js';
import { isValidNpmPackageName } from './npm-names.js';

/** The field of top-level targets' `signed` that holds the records: `{ "<package>": UnclaimRecordJSON }`. */
export const UNCLAIM_RECORDS_FIELD = 'x-tufpm-unclaimed';
/** Bound for untrusted input (a record per package the registry ever unclaimed and nobody claimed again). */
export const MAX_UNCLAIM_RECORDS = 100_000;
const MAX_KEYIDS = 256;

export interface UnclaimRecord {
  /** the version the maintainers' role had when it was unclaimed (the snapshot keeps listing it there) */
  roleVersion: number;
  /** the keys and threshold of the delegation that was removed (for review: which claim ended) */
  keyids: string[];
  threshold: number;
  /** when the operator signed the unclaim, `YYYY-MM-DDTHH:MM:SSZ` */
  unclaimed: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ISO_SECONDS = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;

function parseRecord(name: string, v: unknown): UnclaimRecord {
  const where = `${UNCLAIM_RECORDS_FIELD}[${JSON.stringify(name)}]`;
  if (!isPlainObject(v)) throw new MetadataParseError(`${where} must be an object`);
  for (const k of Object.keys(v)) {
    if (k !== 'role_version' && k !== 'keyids' && k !== 'threshold' && k !== 'unclaimed') throw new MetadataParseError(`${where} has an unknown field ${JSON.stringify(k)}`);
  }
  const { role_version: roleVersion, keyids, threshold, unclaimed } = v;
  if (typeof roleVersion !== 'number' || !Number.isSafeInteger(roleVersion) || roleVersion < 1) throw new MetadataParseError(`${where}.role_version must be an integer >= 1`);
  if (!Array.isArray(keyids) || keyids.length === 0 || keyids.length > MAX_KEYIDS || !keyids.every((k) => typeof k === 'string' && /^[0-9a-f]{64}$/.test(k))) {
    throw new MetadataParseError(`${where}.keyids must be 1..${MAX_KEYIDS} keyids (64 hex characters)`);
  }
  if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold < 1 || threshold > keyids.length) throw new MetadataParseError(`${where}.threshold must be an integer in 1..${keyids.length}`);
  if (typeof unclaimed !== 'string' || !ISO_SECONDS.test(unclaimed)) throw new MetadataParseError(`${where}.unclaimed must be a date YYYY-MM-DDTHH:MM:SSZ`);
  return { roleVersion, keyids: [...(keyids as string[])], threshold, unclaimed };
}

/**
 * The unclaim records of a top-level targets' unrecognized fields (`Targets.unrecognized`), parsed strictly:
 * package names as the npm profile allows them (legacy upper case included), bounded count. An absent field
 * is no record. Throws MetadataParseError on anything malformed.
 */
export function parseUnclaimRecords(unrecognized: Readonly<Record<string, unknown>>): Map<string, UnclaimRecord> {
  const out = new Map<string, UnclaimRecord>();
  if (!Object.prototype.hasOwnProperty.call(unrecognized, UNCLAIM_RECORDS_FIELD)) return out;
  const field = unrecognized[UNCLAIM_RECORDS_FIELD];
  if (!isPlainObject(field)) throw new MetadataParseError(`targets: ${UNCLAIM_RECORDS_FIELD} must be an object`);
  const names = Object.keys(field);
  if (names.length > MAX_UNCLAIM_RECORDS) throw new MetadataParseError(`targets: more than ${MAX_UNCLAIM_RECORDS} unclaim records`);
  for (const name of names) {
    if (!isValidNpmPackageName(name, { legacy: true })) throw new MetadataParseError(`targets: ${UNCLAIM_RECORDS_FIELD} names an invalid package ${JSON.stringify(String(name).slice(0, 100))}`);
    out.set(name, parseRecord(name, field[name]));
  }
  return out;
}

/** Writes `records` into a top-level targets' unrecognized fields (the field is dropped when empty). */
export function setUnclaimRecords(unrecognized: Record<string, unknown>, records: ReadonlyMap<string, UnclaimRecord>): void {
  if (records.size === 0) {
    delete unrecognized[UNCLAIM_RECORDS_FIELD];
    return;
  }
  const field: Record<string, unknown> = {};
  for (const name of [...records.keys()].sort()) {
    const r = records.get(name)!;
    field[name] = { role_version: r.roleVersion, keyids: [...r.keyids].sort(), threshold: r.threshold, unclaimed: r.unclaimed };
  }
  unrecognized[UNCLAIM_RECORDS_FIELD] = field;
}
