/**
 * The ustar header fields as node-tar 7 decodes them, shared by the header readers that must agree with it
 * byte for byte: @tufpm/verify `plain-ustar.ts` (the fast entry walk) and `tar-framing.ts` here (the framing
 * check every reader runs). One decoder, so the two cannot drift apart.
 */

export const TAR_BLOCK = 512;
/** Compared against, natively (Buffer#compare), instead of looping over bytes in JavaScript. */
const ZEROS = Buffer.alloc(TAR_BLOCK);

/** True when tar[from, to) holds only zero bytes (to - from at most one block). */
export function tarZeros(tar: Buffer, from: number, to: number): boolean {
  return tar.compare(ZEROS, 0, to - from, from, to) === 0;
}

/**
 * An octal number field as node-tar reads it (cut at its first NUL, trimmed, `parseInt(s, 8)`), accepted
 * only as spaces, octal digits, spaces, then the end of the field or a NUL: node-tar's cut and trim leave
 * those digits at the start of what it parses whatever follows the NUL, and parseInt stops after them.
 * Returns -1 for anything else (base-256 numbers included).
 */
export function tarOctal(tar: Buffer, off: number, size: number): number {
  const end = off + size;
  let i = off;
  while (i < end && tar[i] === 0x20) i++;
  let value = 0;
  const first = i;
  for (; i < end; i++) {
    const b = tar[i]!;
    if (b < 0x30 || b > 0x37) break;
    value = value * 8 + (b - 0x30);
  }
  if (i === first) return -1;
  while (i < end && tar[i] === 0x20) i++;
  return i === end || tar[i] === 0 ? value : -1;
}
