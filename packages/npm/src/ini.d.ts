/** The part of ini 6 (npm's .npmrc parser) that tufpm-npm calls. */
declare module 'ini' {
  const ini: { parse(text: string): Record<string, unknown> };
  export default ini;
}
