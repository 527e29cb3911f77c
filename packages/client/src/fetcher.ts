// The network boundary. A Fetcher yields the body of one URL in chunks and must stop once more than
// maxLength bytes arrive; the Updater counts again (see download.ts), so a custom Fetcher that ignores
// the limit still cannot feed it endless data.

export interface FetchOptions {
  /** upper bound on body bytes; exceeding it is an endless-data attack (LengthMismatchError) */
  maxLength: number;
}

export interface Fetcher {
  fetch(url: string, options: FetchOptions): AsyncIterable<Uint8Array>;
}
