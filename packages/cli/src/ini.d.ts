/** The part of ini 6 (npm's .npmrc parser) that tufpm-npm and tufpm-verify call. */
declare module 'ini' {
  const ini: { parse(text: string): Record<string, unknown> };
  export default ini;
}
