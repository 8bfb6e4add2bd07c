/**
 * The typed client of the sidecar's REST API (`src/protocol/sidecar-api.ts`),
 * reached through the Jupyter server under `<baseUrl>dask-sites/`. The one
 * place the frontend makes HTTP calls; components never do.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  IAdaptRequest,
  IChooseClusterRequest,
  IClusterInfo,
  IClustersResponse,
  ICreateClusterRequest,
  IDashboardPlot,
  IHealthResponse,
  ILoginRequest,
  IOptionsResponse,
  IPlotsResponse,
  IRenameClusterRequest,
  IScaleRequest,
  IScaleResponse,
  ISitesResponse,
  ISiteState,
  LoginState
} from '../../protocol';
import { SidecarError } from './errors';

/** Where the Jupyter server serves the sidecar, relative to its base URL. */
export const SIDECAR_PREFIX = 'dask-sites/';

export class SidecarClient {
  constructor(options: SidecarClient.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
  }

  readonly serverSettings: ServerConnection.ISettings;

  /** `<baseUrl>dask-sites/`. */
  get baseUrl(): string {
    return URLExt.join(this.serverSettings.baseUrl, SIDECAR_PREFIX);
  }

  /** The live WebSocket's URL (with the token when the server settings ask for it). */
  get liveUrl(): string {
    const url = URLExt.join(
      this.serverSettings.wsUrl,
      SIDECAR_PREFIX,
      'api/live'
    );
    const { token, appendToken } = this.serverSettings;
    return token && appendToken
      ? `${url}?token=${encodeURIComponent(token)}`
      : url;
  }

  /** A cluster's dashboard page (`plot` e.g. `status`, `individual-task-stream`). */
  dashboardUrl(site: string, cluster: string, plot = 'status'): string {
    return URLExt.join(
      this.baseUrl,
      'dashboard',
      encodeURIComponent(site),
      encodeURIComponent(cluster),
      ...plot.split('/').map(encodeURIComponent)
    );
  }

  health(): Promise<IHealthResponse> {
    return this.request('GET', 'api/health');
  }

  /** Every site; the sidecar checks reachability first (waiting at most ~2 s). */
  async sites(): Promise<ISiteState[]> {
    return (await this.request<ISitesResponse>('GET', 'api/sites')).sites;
  }

  site(site: string): Promise<ISiteState> {
    return this.request('GET', Private.sitePath(site));
  }

  /** Start a login (device or code flow); a pending state says what the user does next. */
  login(site: string, flow?: ILoginRequest['flow']): Promise<LoginState> {
    const body: ILoginRequest = flow ? { flow } : {};
    return this.request('POST', `${Private.sitePath(site)}/login`, body);
  }

  /** Cancel a pending login or log out (for every site sharing the login). */
  logout(site: string): Promise<LoginState> {
    return this.request('DELETE', `${Private.sitePath(site)}/login`);
  }

  async options(site: string): Promise<IOptionsResponse['options']> {
    return (
      await this.request<IOptionsResponse>(
        'GET',
        `${Private.sitePath(site)}/options`
      )
    ).options;
  }

  async clusters(site: string): Promise<IClusterInfo[]> {
    return (
      await this.request<IClustersResponse>(
        'GET',
        `${Private.sitePath(site)}/clusters`
      )
    ).clusters;
  }

  createCluster(
    site: string,
    request: ICreateClusterRequest
  ): Promise<IClusterInfo> {
    return this.request('POST', `${Private.sitePath(site)}/clusters`, request);
  }

  renameCluster(
    site: string,
    cluster: string,
    displayName: string
  ): Promise<IClusterInfo> {
    const body: IRenameClusterRequest = { displayName };
    return this.request('PATCH', Private.clusterPath(site, cluster), body);
  }

  scale(site: string, cluster: string, count: number): Promise<IScaleResponse> {
    const body: IScaleRequest = { count };
    return this.request(
      'POST',
      `${Private.clusterPath(site, cluster)}/scale`,
      body
    );
  }

  adapt(
    site: string,
    cluster: string,
    minimum: number,
    maximum: number
  ): Promise<IScaleResponse> {
    const body: IAdaptRequest = { minimum, maximum };
    return this.request(
      'POST',
      `${Private.clusterPath(site, cluster)}/adapt`,
      body
    );
  }

  /** The plots a running cluster's dashboard offers (its scheduler's list). */
  async dashboardPlots(
    site: string,
    cluster: string
  ): Promise<IDashboardPlot[]> {
    return (
      await this.request<IPlotsResponse>(
        'GET',
        `${Private.clusterPath(site, cluster)}/plots`
      )
    ).plots;
  }

  async stopCluster(site: string, cluster: string): Promise<void> {
    await this.request('DELETE', Private.clusterPath(site, cluster));
  }

  /** The cluster kernels use for this site; `null` clears the choice. */
  chooseCluster(site: string, cluster: string | null): Promise<ISiteState> {
    const body: IChooseClusterRequest = { cluster };
    return this.request(
      'PUT',
      `${Private.sitePath(site)}/chosen-cluster`,
      body
    );
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown
  ): Promise<T> {
    const url = URLExt.join(this.baseUrl, path);
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        init,
        this.serverSettings
      );
    } catch (err) {
      throw SidecarError.network(err, method, path);
    }
    if (!response.ok) {
      throw await SidecarError.fromResponse(response, method, path);
    }
    if (response.status === 204) {
      return undefined as T;
    }
    const text = await response.text();
    if (!text) {
      return undefined as T;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SidecarError({
        status: response.status,
        code: 'bad-answer',
        message: `${method} ${path}: the answer is not JSON; is something else serving ${SIDECAR_PREFIX}?`,
        method,
        path
      });
    }
  }
}

export namespace SidecarClient {
  export interface IOptions {
    /** Defaults to `ServerConnection.makeSettings()` (base URL, XSRF, token). */
    serverSettings?: ServerConnection.ISettings;
  }
}

namespace Private {
  export function sitePath(site: string): string {
    return `api/sites/${encodeURIComponent(site)}`;
  }

  export function clusterPath(site: string, cluster: string): string {
    return `${sitePath(site)}/clusters/${encodeURIComponent(cluster)}`;
  }
}
