/**
 * A site's Dask Gateway in memory, for tests of the sites layer: clusters
 * that start when asked, calls counted, failures on demand. What it answers
 * is shaped like `GatewayClient`'s answers (display names included).
 */
import type {
  IClusterInfo,
  IClusterOptionSpec,
  ClusterStatus
} from '../../../protocol';
import type { IClusterConnection, IScaleResult } from '../../gateway';
import { GatewayError } from '../../gateway';
import type { ISiteGateway } from '../../sites';

/** A promise whose outcome the test decides. */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (reason: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

export class FakeGateway implements ISiteGateway {
  readonly calls: string[] = [];
  readonly clusters = new Map<string, IClusterInfo>();
  /** Set to make `health()` fail as an unreachable gateway does. */
  down = false;
  /** Set to make `list()` fail with this error. */
  listError: Error | undefined;
  /** Set to hold `health()` until the test resolves it. */
  healthGate: Deferred<void> | undefined;
  /** Status of clusters made by `create()`. */
  createdStatus: ClusterStatus = 'RUNNING';
  readonly optionSpecs: IClusterOptionSpec[] = [
    {
      field: 'worker_cores',
      label: 'Worker cores',
      default: 2,
      spec: { type: 'int', default: 2, min: 1, max: 4 }
    }
  ];
  private created = 0;

  constructor(readonly site: string) {}

  /** A cluster the gateway already has (started elsewhere). */
  add(name: string, status: ClusterStatus = 'RUNNING'): IClusterInfo {
    const info: IClusterInfo = {
      name,
      displayName: name.slice(0, 8),
      status,
      options: {}
    };
    this.clusters.set(name, info);
    return info;
  }

  async health(): Promise<{ version: string }> {
    this.calls.push('health');
    await this.healthGate?.promise;
    if (this.down) {
      throw new GatewayError(
        'unreachable',
        this.site,
        `the gateway at http://127.0.0.1:1 is unreachable (ECONNREFUSED)`
      );
    }
    return { version: '2026.3.0' };
  }

  async list(): Promise<IClusterInfo[]> {
    this.calls.push('list');
    if (this.listError) {
      throw this.listError;
    }
    return [...this.clusters.values()].map(c => structuredClone(c));
  }

  async options(): Promise<IClusterOptionSpec[]> {
    this.calls.push('options');
    return structuredClone(this.optionSpecs);
  }

  async get(name: string): Promise<IClusterInfo> {
    this.calls.push(`get ${name}`);
    const info = this.clusters.get(name);
    if (!info) {
      throw new GatewayError('not-found', this.site, `no cluster ${name}`, {
        status: 404,
        cluster: name
      });
    }
    return structuredClone(info);
  }

  async create(
    values: { [field: string]: unknown } = {},
    options: { displayName?: string } = {}
  ): Promise<string> {
    this.calls.push(`create ${JSON.stringify(values)}`);
    const name = `${this.site}cluster${++this.created}`.padEnd(32, '0');
    const info = this.add(name, this.createdStatus);
    info.options = { ...values };
    if (options.displayName) {
      info.displayName = options.displayName;
    }
    return name;
  }

  async waitUntilRunning(
    name: string,
    options: { onProgress?: (cluster: IClusterInfo) => void } = {}
  ): Promise<IClusterInfo> {
    this.calls.push(`wait ${name}`);
    const info = this.clusters.get(name);
    if (!info) {
      throw new GatewayError('not-found', this.site, `no cluster ${name}`);
    }
    options.onProgress?.(structuredClone(info));
    info.status = 'RUNNING';
    return structuredClone(info);
  }

  async scale(name: string, count: number): Promise<IScaleResult> {
    this.calls.push(`scale ${name} ${count}`);
    // dask-gateway-server's words (routes.py) when a request is above the limit.
    return count > 4
      ? {
          ok: false,
          message: `Scale request of ${count} workers would exceed resource limit of 4 workers. Scaling to 4 instead.`,
          maximum: 4
        }
      : { ok: true };
  }

  async adapt(
    name: string,
    minimum: number,
    maximum: number
  ): Promise<IScaleResult> {
    this.calls.push(`adapt ${name} ${minimum}-${maximum}`);
    const info = this.clusters.get(name);
    if (info) {
      info.adaptive = { minimum, maximum };
    }
    return { ok: true };
  }

  async stop(name: string): Promise<void> {
    this.calls.push(`stop ${name}`);
    const info = this.clusters.get(name);
    if (info) {
      info.status = 'STOPPED';
    }
  }

  async connectionInfo(name: string): Promise<IClusterConnection> {
    this.calls.push(`connect ${name}`);
    return {
      address: `gateway://127.0.0.1:9/${name}`,
      tlsCert: 'CERT',
      tlsKey: 'KEY',
      cluster: await this.get(name)
    };
  }
}
