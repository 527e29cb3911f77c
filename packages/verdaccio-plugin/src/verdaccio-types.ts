// The parts of Verdaccio 6.8's plugin API this plugin uses, typed structurally (Verdaccio is not a
// build dependency: the plugin is loaded by the Verdaccio an operator runs).
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RemoteUser {
  name?: string | undefined;
  groups?: string[];
  real_groups?: string[];
}

export type VerdaccioRequest = IncomingMessage & {
  remote_user?: RemoteUser;
  body?: unknown;
  /** body-parser skips a request whose body was already read */
  _body?: boolean;
};

export type Next = (err?: unknown) => void;

/** Verdaccio's Auth: `allow_publish` / `allow_unpublish` run the `packages:` access rules of config.yaml. */
export interface VerdaccioAuth {
  allow_publish(pkg: { packageName: string; packageVersion?: string }, user: RemoteUser | undefined, cb: (err: (Error & { status?: number; code?: string | number }) | null, ok?: boolean) => void): void;
  allow_unpublish(pkg: { packageName: string; packageVersion?: string }, user: RemoteUser | undefined, cb: (err: (Error & { status?: number; code?: string | number }) | null, ok?: boolean) => void): void;
}

export interface LocalPackageMetadata {
  versions?: Record<string, unknown>;
  'dist-tags'?: Record<string, string>;
}

/** Verdaccio's Storage: only its local (non-uplink) package metadata is read. */
export interface VerdaccioStorage {
  localStorage: {
    getPackageMetadata(name: string, cb: (err: (Error & { status?: number }) | null, data?: LocalPackageMetadata) => void): void;
  };
}

export interface VerdaccioLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PluginOptions {
  /** Verdaccio's whole configuration (configPath: the config.yaml this server runs from) */
  config: { configPath?: string; self_path?: string; auth?: Record<string, unknown> };
  logger: VerdaccioLogger;
}

export type Middleware = (req: VerdaccioRequest, res: ServerResponse, next: Next) => void;
