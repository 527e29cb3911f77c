// Caps on how many entries, keys and signatures one metadata file may hold, checked by every strict parse
// (`fromJSON`). The client bounds each file's bytes first (config.ts); these caps keep a file within those
// bytes from being made of millions of tiny entries that each cost an object, a signature check or a key
// import, and they hold for every user of models, with or without the client's byte bounds. Each is well
// above what a real repository needs (the figures are in docs/benchmarks.md, "Metadata size").

/** signatures in one metadata file: a role needs a threshold of them; nobody signs with hundreds of keys */
export const MAX_SIGNATURES = 256;
/** keyids of one role (root's four roles, each delegated role) */
export const MAX_KEYIDS_PER_ROLE = 256;
/** keys listed by root (the four top-level roles' keys, over several rotations) */
export const MAX_ROOT_KEYS = 1024;
/** keys and roles of one delegations object: the npm profile's top-level targets lists one role (and
 *  usually one or two keys) per claimed package; 5 MB of targets holds at most ~35,000 of them */
export const MAX_DELEGATION_KEYS = 100_000;
export const MAX_DELEGATED_ROLES = 100_000;
/** role entries of one snapshot: claimed roles + hash bins (at most 2^16) + targets + unclaimed */
export const MAX_SNAPSHOT_ENTRIES = 1_000_000;
/** targets of one role (a hash bin holds the releases of every unclaimed package hashed to it) */
export const MAX_TARGETS_PER_ROLE = 1_000_000;
