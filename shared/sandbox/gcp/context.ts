import type { GcpProjectState, GcpState } from './state.js';

/** What a Google API handler of the sandbox gets for one call. */
export interface GcpCall {
  readonly state: GcpState;
  readonly project: GcpProjectState;
  /** Path parameters captured by the route (location, ids). */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The request body parsed as a JSON object ({} when empty). */
  readonly body: Readonly<Record<string, unknown>>;
  /** The path without its query, for page-token fingerprints. */
  readonly path: string;
  /** World-clock milliseconds. */
  readonly now: number;
  /** World-clock milliseconds a stop, start or cancel stays in its transitional state. */
  readonly transitionMs: number;
}

/** A route's handler: the JSON answer. */
export type GcpHandler = (call: GcpCall) => unknown;

/** A call to an API that is not under a project of the world (billing accounts, the Catalog, the export's BigQuery project). */
export type GcpGlobalCall = Omit<GcpCall, 'project'> & { readonly project: GcpProjectState | undefined };

/** One REST method of a Google API that is not scoped to a world project. */
export interface GcpGlobalRoute extends Omit<GcpProjectRoute, 'handler' | 'global'> {
  readonly global: true;
  readonly handler: (call: GcpGlobalCall) => unknown;
}

/** One REST method of a Google API. */
export type GcpRoute = GcpProjectRoute | GcpGlobalRoute;

/** One REST method of a Google API under a project of the world. */
export interface GcpProjectRoute {
  readonly global?: false;
  /** `aiplatform`, `notebooks`, `monitoring` or `storage`: the service name faults and call counts use. */
  readonly service: string;
  /** RPC name, e.g. `ListEndpoints`. */
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Matches the path; named groups become `params`; `project` names the project. */
  readonly pattern: RegExp;
  /** The project of a call whose path names none (Cloud Storage: a bucket's owner, or `?project=`); may throw a GoogleApiError. */
  readonly projectOf?: (params: Readonly<Record<string, string>>, query: URLSearchParams, state: GcpState) => string;
  readonly handler: GcpHandler;
}
