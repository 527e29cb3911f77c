/** The part of pacote 21 that tufpm-npm calls (pacote ships no types). */
declare module 'pacote' {
  interface TarballResult extends Buffer {
    integrity: string;
    resolved: string;
  }
  const pacote: {
    /** The tarball of `spec`, from cacache when `integrity` is known and cached; EINTEGRITY on other bytes. */
    tarball(spec: string, options: Record<string, unknown>): Promise<TarballResult>;
  };
  export default pacote;
}
