/**
 * A Dask Gateway REST client for one site (dask-gateway-server 2026.x API).
 *
 * Every cluster it returns goes through `toClusterInfo()`, which drops the
 * TLS certificate and key; `connectionInfo()` is the only method that hands
 * them out (for kernels). Failures are `GatewayError`s naming the site;
 * errors of the injected `authorizationHeader` (login needed) propagate
 * unchanged.
 */
import type { IClusterInfo, IClusterOptionSpec } from '../../protocol';
import {
  isActive,
  isGatewayCluster,
  toClusterInfo,
  type IGatewayCluster
} from './cluster-info';
import {
  LONG_POLL_MS,
  waitUntilRunning,
  type IWaitOptions
} from './cluster-start';
import { quoted } from '../errors';
import { GatewayError, shortCluster } from './errors';
import {
  send,
  type AuthorizationHeader,
  type FetchLike,
  type IHttpRequest,
  type IHttpTarget
} from './http';
import { defaultDisplayName, type DisplayNames } from './names';
import { validateOptions, type OptionValues } from './options';
import { proxyAddressFor } from './proxy-address';

export type { IWaitOptions };

export interface IGatewayClientOptions {
  /** Site name, used in every message. */
  site: string;
  /** Gateway API address, e.g. `https://gateway.example.org` (a path prefix is kept). */
  address: string;
  /**
   * Scheduler proxy (`gateway://host:port`, `tls://host:port`, `host:port`);
   * defaults to the API address's host and port, as `dask_gateway` does.
   */
  proxyAddress?: string;
  /** From the site's login session; absent for sites without auth. */
  authorizationHeader?: AuthorizationHeader;
  /** Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /** Display names; defaults to the first 8 characters of the id. */
  names?: DisplayNames;
  /** Time limit of ordinary requests (default 30 s). */
  timeoutMs?: number;
  /** Time limit of `health()` (default 5 s). */
  healthTimeoutMs?: number;
  /** `list()` shows stopped and failed clusters that ended this recently (default 1 h). */
  endedWithinMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface IGatewayHealth {
  version: string;
}

export interface IScaleResult {
  /** False when the gateway clamped the request to its limit. */
  ok: boolean;
  /** The gateway's explanation when it clamped. */
  message?: string;
  /** The limit it clamped to, when its explanation names it. */
  maximum?: number;
}

/** What a kernel needs to connect. Holds the TLS key: kernel only, never the browser. */
export interface IClusterConnection {
  /** `gateway://host:port/<cluster>`. */
  address: string;
  tlsCert: string;
  tlsKey: string;
  /** The cluster, without TLS material. */
  cluster: IClusterInfo;
}

const ALL_STATUSES = 'pending,running,stopping,stopped,failed';
/** Cluster names as gateways give them: a UUID's hex, or `namespace.hex` on Kubernetes. */
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class GatewayClient {
  readonly site: string;
  /** API address without a trailing slash. */
  readonly address: string;
  /** `gateway://host:port`. */
  readonly proxyAddress: string;

  private readonly target: IHttpTarget;
  private readonly names?: DisplayNames;
  private readonly timeoutMs: number;
  private readonly healthTimeoutMs: number;
  private readonly endedWithinMs: number;
  private readonly now: () => number;
  /** Adaptive bounds set through this client, by cluster (the gateway does not report them). */
  private readonly adaptive = new Map<
    string,
    { minimum: number; maximum: number }
  >();

  constructor(options: IGatewayClientOptions) {
    this.site = options.site;
    this.address = options.address.replace(/\/+$/, '');
    this.proxyAddress = proxyAddressFor(this.address, options.proxyAddress);
    const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.target = {
      site: options.site,
      address: this.address,
      fetch: fetchImpl,
      authorizationHeader: options.authorizationHeader
    };
    this.names = options.names;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 5_000;
    this.endedWithinMs = options.endedWithinMs ?? 60 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Is the gateway up? `/api/health` and `/api/version`, no login needed. */
  async health(
    options: { signal?: AbortSignal } = {}
  ): Promise<IGatewayHealth> {
    const common = {
      auth: false,
      timeoutMs: this.healthTimeoutMs,
      signal: options.signal
    };
    const [health, version] = await Promise.all([
      this.request({ ...common, path: '/api/health' }),
      this.request({ ...common, path: '/api/version' })
    ]);
    const status = (health as { status?: unknown } | undefined)?.status;
    if (status !== undefined && status !== 'pass') {
      throw new GatewayError(
        'unreachable',
        this.site,
        `the gateway at ${this.address} reports that it is not healthy ` +
          `(${String(status)}): try again later`
      );
    }
    const value = (version as { version?: unknown } | undefined)?.version;
    if (typeof value !== 'string') {
      throw new GatewayError(
        'server',
        this.site,
        `the answer of ${this.address}/api/version has no version: ` +
          `check the site's gateway address`
      );
    }
    return { version: value };
  }

  /** The cluster options the gateway offers this user. */
  async options(): Promise<IClusterOptionSpec[]> {
    const body = await this.request({ path: '/api/v1/options' });
    const options = (body as { cluster_options?: unknown } | undefined)
      ?.cluster_options;
    if (!Array.isArray(options)) {
      throw this.malformed('/api/v1/options');
    }
    return options
      .filter(
        (o): o is IClusterOptionSpec =>
          typeof o === 'object' &&
          o !== null &&
          typeof o.field === 'string' &&
          typeof o.spec === 'object' &&
          o.spec !== null &&
          typeof o.spec.type === 'string'
      )
      .map(o => ({
        ...o,
        label: typeof o.label === 'string' ? o.label : o.field
      }));
  }

  /**
   * The user's clusters: all active ones (also those started elsewhere, e.g.
   * from Python) and those that stopped or failed in the last
   * `endedWithinMs`. Active first, newest first.
   */
  async list(
    options: { endedWithinMs?: number } = {}
  ): Promise<IClusterInfo[]> {
    const raw = await this.listRaw();
    const since = this.now() - (options.endedWithinMs ?? this.endedWithinMs);
    const kept = raw.filter(
      c =>
        isActive(c.status) ||
        (c.stop_time ?? c.start_time ?? Number.POSITIVE_INFINITY) >= since
    );
    kept.sort(
      (a, b) =>
        Number(isActive(b.status)) - Number(isActive(a.status)) ||
        (b.start_time ?? 0) - (a.start_time ?? 0)
    );
    return kept.map(c => this.info(c));
  }

  /** Every cluster of the user the gateway still remembers, any status. */
  async listRaw(): Promise<IGatewayCluster[]> {
    const body = await this.request({
      path: `/api/v1/clusters/?status=${ALL_STATUSES}`
    });
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw this.malformed('/api/v1/clusters/');
    }
    return Object.values(body).filter(isGatewayCluster);
  }

  /** One cluster. With `wait`, the gateway holds the answer (≤ 20 s) until it is running or failed. */
  async get(
    name: string,
    options: { wait?: boolean; signal?: AbortSignal } = {}
  ): Promise<IClusterInfo> {
    return this.info(await this.getRaw(name, options));
  }

  /**
   * Start a cluster; returns its name. Values are checked against the
   * gateway's options first (`spec`, or fetched); problems give one
   * `invalid` error listing them all.
   */
  async create(
    values: OptionValues = {},
    options: { spec?: IClusterOptionSpec[]; displayName?: string } = {}
  ): Promise<string> {
    const spec = options.spec ?? (await this.options());
    const checked = validateOptions(spec, values);
    if (!checked.ok) {
      throw new GatewayError(
        'invalid',
        this.site,
        `invalid cluster options: ${checked.errors.join('; ')}`,
        { detail: checked.errors.join('; ') }
      );
    }
    const body = await this.request({
      method: 'POST',
      path: '/api/v1/clusters/',
      body: { cluster_options: checked.values },
      invalidMessage: 'invalid cluster options'
    });
    const name = (body as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || !name) {
      throw this.malformed('/api/v1/clusters/');
    }
    if (options.displayName !== undefined && this.names) {
      this.names.set(this.site, name, options.displayName);
    }
    return name;
  }

  /**
   * Wait until the cluster runs. Rejects with `failed` if it fails or is
   * stopped first, `timeout` after `timeoutMs` (see `cluster-start.ts`).
   */
  waitUntilRunning(
    name: string,
    options: IWaitOptions = {}
  ): Promise<IClusterInfo> {
    return waitUntilRunning(
      {
        site: this.site,
        now: this.now,
        get: (cluster, get) => this.getRaw(cluster, get),
        info: raw => this.info(raw)
      },
      name,
      options
    );
  }

  /** Ask for `count` workers (turns adaptive scaling off). */
  async scale(name: string, count: number): Promise<IScaleResult> {
    if (!Number.isInteger(count) || count < 0) {
      throw new GatewayError(
        'invalid',
        this.site,
        `cannot scale cluster ${shortCluster(name)} to ${count} workers: ` +
          `the count must be a whole number, 0 or more`,
        { cluster: name }
      );
    }
    const body = await this.request({
      method: 'POST',
      path: this.clusterPath(name, '/scale'),
      body: { count },
      cluster: name,
      invalidMessage: `cannot scale cluster ${shortCluster(name)}`
    });
    this.adaptive.delete(name);
    return scaleResult(body);
  }

  /** Scale between `minimum` and `maximum` workers with the load. */
  async adapt(
    name: string,
    minimum: number,
    maximum: number
  ): Promise<IScaleResult> {
    const problems: string[] = [];
    if (!Number.isInteger(minimum) || minimum < 0) {
      problems.push(`minimum ${minimum} must be a whole number, 0 or more`);
    }
    if (!Number.isInteger(maximum) || maximum < 0) {
      problems.push(`maximum ${maximum} must be a whole number, 0 or more`);
    }
    if (!problems.length && minimum > maximum) {
      problems.push(`minimum ${minimum} is above maximum ${maximum}`);
    }
    if (problems.length) {
      throw new GatewayError(
        'invalid',
        this.site,
        `cannot make cluster ${shortCluster(name)} adaptive: ${problems.join('; ')}`,
        { cluster: name }
      );
    }
    const body = await this.request({
      method: 'POST',
      path: this.clusterPath(name, '/adapt'),
      body: { minimum, maximum, active: true },
      cluster: name,
      invalidMessage: `cannot make cluster ${shortCluster(name)} adaptive`
    });
    const result = scaleResult(body);
    // When it clamps, the gateway says: "Using `maximum=4, minimum=0` instead."
    const used = /maximum=(\d+), minimum=(\d+)`? instead/.exec(
      result.message ?? ''
    );
    this.adaptive.set(
      name,
      used
        ? { minimum: Number(used[2]), maximum: Number(used[1]) }
        : { minimum, maximum }
    );
    return result;
  }

  /** Stop a cluster. Stopping an unknown or stopped cluster is not an error. */
  async stop(name: string): Promise<void> {
    await this.request({
      method: 'DELETE',
      path: this.clusterPath(name),
      cluster: name
    });
    this.adaptive.delete(name);
  }

  /**
   * The scheduler address and TLS credentials of a running cluster. The only
   * method that returns TLS material: hand it to kernels, never to browsers.
   */
  async connectionInfo(
    name: string,
    options: { signal?: AbortSignal } = {}
  ): Promise<IClusterConnection> {
    const raw = await this.getRaw(name, options);
    if (raw.status !== 'RUNNING') {
      throw new GatewayError(
        'conflict',
        this.site,
        `cluster ${shortCluster(name)} is not running (it is ${raw.status})`,
        { cluster: name }
      );
    }
    if (typeof raw.tls_cert !== 'string' || typeof raw.tls_key !== 'string') {
      throw new GatewayError(
        'server',
        this.site,
        `the gateway gave no TLS credentials for running cluster ` +
          `${shortCluster(name)}: tell the site's administrators`,
        { cluster: name }
      );
    }
    return {
      address: `${this.proxyAddress}/${raw.name}`,
      tlsCert: raw.tls_cert,
      tlsKey: raw.tls_key,
      cluster: this.info(raw)
    };
  }

  /** Adaptive bounds set through this client, if adapt is on. */
  adaptiveOf(name: string): { minimum: number; maximum: number } | undefined {
    const bounds = this.adaptive.get(name);
    return bounds ? { ...bounds } : undefined;
  }

  private async getRaw(
    name: string,
    options: { wait?: boolean; signal?: AbortSignal; timeoutMs?: number }
  ): Promise<IGatewayCluster> {
    const body = await this.request({
      path: this.clusterPath(name, options.wait ? '?wait' : ''),
      cluster: name,
      signal: options.signal,
      timeoutMs:
        options.timeoutMs ??
        (options.wait ? Math.max(this.timeoutMs, LONG_POLL_MS) : this.timeoutMs)
    });
    if (!isGatewayCluster(body)) {
      throw this.malformed(`/api/v1/clusters/${name}`);
    }
    return body;
  }

  /**
   * The API path of a cluster. Names are checked against the gateway's
   * grammar first: `.`, `..` or a `/` would reach another path of the API.
   */
  private clusterPath(name: string, suffix = ''): string {
    if (!CLUSTER_NAME.test(name) || name.includes('..')) {
      throw new GatewayError(
        'invalid',
        this.site,
        `${quoted(name)} is not a cluster name (letters, digits, ".", "_" and "-", ` +
          'as the gateway gives them)'
      );
    }
    return `/api/v1/clusters/${encodeURIComponent(name)}${suffix}`;
  }

  private info(raw: IGatewayCluster): IClusterInfo {
    if (!isActive(raw.status)) {
      this.adaptive.delete(raw.name);
    }
    return toClusterInfo(raw, {
      displayName: this.names
        ? this.names.get(this.site, raw.name)
        : defaultDisplayName(raw.name),
      adaptive: this.adaptive.get(raw.name)
    });
  }

  private async request(
    request: Omit<IHttpRequest, 'timeoutMs'> & { timeoutMs?: number }
  ): Promise<unknown> {
    const answer = await send(this.target, {
      ...request,
      timeoutMs: request.timeoutMs ?? this.timeoutMs
    });
    return answer.body;
  }

  private malformed(path: string): GatewayError {
    return new GatewayError(
      'server',
      this.site,
      `the answer of ${this.address}${path} is not what a Dask Gateway ` +
        `sends: check the site's gateway address`
    );
  }
}

function scaleResult(body: unknown): IScaleResult {
  const b = (body ?? {}) as { ok?: unknown; msg?: unknown };
  const result: IScaleResult = { ok: b.ok !== false };
  if (typeof b.msg === 'string' && b.msg) {
    result.message = b.msg;
    // dask-gateway-server: "... would exceed resource limit of 4 workers ..."
    const limit = /resource limit of (\d+) workers/.exec(b.msg);
    if (limit) {
      result.maximum = Number(limit[1]);
    }
  }
  return result;
}
