// The part of cacache (npm's content-addressed cache, a dependency of npm itself) that approve uses.
declare module 'cacache' {
  const cacache: { get: { byDigest(cache: string, integrity: string): Promise<Buffer> } };
  export default cacache;
}
