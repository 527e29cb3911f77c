/** Subresource-integrity strings, the form npm and pacote use for `integrity`. */

export function sha512HexToIntegrity(hex: string): string {
  return `sha512-${Buffer.from(hex, 'hex').toString('base64')}`;
}

/** Returns the sha512 hex digest in an SRI string, or undefined when it carries no sha512. */
export function integrityToSha512Hex(integrity: string): string | undefined {
  for (const part of integrity.trim().split(/\s+/)) {
    const match = /^sha512-([A-Za-z0-9+/]{86}==)(?:\?.*)?$/.exec(part);
    if (match) return Buffer.from(match[1]!, 'base64').toString('hex');
  }
  return undefined;
}
