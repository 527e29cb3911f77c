/** The TUF worker script (@tufpm/verify tuf-worker.ts bundled), generated at build time. */
export declare const TUF_WORKER_SOURCE: string;
