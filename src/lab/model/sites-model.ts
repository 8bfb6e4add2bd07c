/**
 * The sites as the panel shows them: the sidecar's state (REST answers and
 * live messages, merged), plus what the browser knows on its own: which
 * actions are in flight and which failed, per site and per cluster, so a
 * failing site only marks its own card.
 */
import { DisposableDelegate, type IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  applyLiveMessage,
  type IClusterInfo,
  type IClusterOptionSpec,
  type IScaleResponse,
  type ISiteState,
  type LiveMessage,
  type LoginState
} from '../../protocol';
import type { SidecarClient } from '../api/client';
import type { LiveConnection, LiveStatus } from '../api/live';
import {
  ActionTracker,
  toActionError,
  type IActionError,
  type IActionNotice,
  type SiteAction
} from './actions';
import { PlotLists } from './plot-lists';
import { DEFAULT_SETTINGS, type IPanelSettings } from './settings';
import {
  withCluster,
  withClusterPatch,
  withLogin,
  withSite
} from './site-list';

export type { IActionError, IActionNotice, SiteAction };

export type OptionsState =
  | { status: 'loading' }
  | { status: 'ready'; options: IClusterOptionSpec[] }
  | { status: 'error'; error: IActionError };

export interface ILiveState {
  status: LiveStatus;
  /** Why the socket closed, while it is down. */
  error?: string;
  retryAt?: number;
}

export interface INewCluster {
  options: { [field: string]: unknown };
  displayName?: string;
  /** Scale to this many workers once the cluster runs (0: leave it). */
  workers?: number;
}

export class SitesModel implements IDisposable {
  constructor(options: SitesModel.IOptions) {
    this.client = options.client;
    this._live = options.live;
    this._settings = options.settings ?? { ...DEFAULT_SETTINGS };
    this.plots = new PlotLists(this.client, () => this.emit());
    this._live?.received.connect(this.onLive, this);
    this._live?.statusChanged.connect(this.onLiveStatus, this);
  }

  readonly client: SidecarClient;

  /** Each cluster's list of dashboard plots, loaded on demand. */
  readonly plots: PlotLists;

  get sites(): readonly ISiteState[] {
    return this._sites;
  }

  site(name: string): ISiteState | undefined {
    return this._sites.find(site => site.name === name);
  }

  /** True until the first answer (REST or live) arrived. */
  get loading(): boolean {
    return !this._loaded;
  }

  /** Why the site list could not be loaded at all (sidecar or server down). */
  get loadError(): IActionError | undefined {
    return this._loadError;
  }

  get live(): ILiveState {
    const live = this._live;
    if (!live) {
      return { status: 'stopped' };
    }
    return {
      status: live.status,
      ...(live.lastError ? { error: live.lastError } : {}),
      ...(live.retryAt ? { retryAt: live.retryAt } : {})
    };
  }

  get settings(): Readonly<IPanelSettings> {
    return this._settings;
  }

  set settings(settings: IPanelSettings) {
    this._settings = { ...settings };
    this.emit();
  }

  /** Emitted on every change of anything above. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get active(): boolean {
    return this._active;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Shown (true): connect the live socket, watch the sites and refresh once.
   * Hidden (false): close the socket; nothing runs until shown again (unless
   * something else holds the model active, see `hold`).
   */
  setActive(active: boolean): void {
    this._shown = active;
    this.updateActive();
  }

  /**
   * Keep the model live until the handle is disposed, whether or not the
   * panel is shown: for other views of the sites (the notebook widget).
   */
  hold(): IDisposable {
    this._holds += 1;
    this.updateActive();
    return new DisposableDelegate(() => {
      this._holds -= 1;
      this.updateActive();
    });
  }

  private updateActive(): void {
    const active = this._shown || this._holds > 0;
    if (active === this._active || this._disposed) {
      return;
    }
    this._active = active;
    if (active) {
      this._live?.start();
      this.updateWatch();
      void this.refresh();
    } else {
      this._live?.stop();
    }
    this.emit();
  }

  /** Reconnect the live socket now (after it failed) and refresh. */
  reconnect(): void {
    this._live?.reconnect();
    void this.refresh();
  }

  isPending(site: string, action: SiteAction, cluster?: string): boolean {
    return this._actions.isPending(site, action, cluster);
  }

  /** Any action in flight on this site (cluster `undefined`) or cluster. */
  isBusy(site: string, cluster?: string): boolean {
    return this._actions.isBusy(site, cluster);
  }

  error(site: string, cluster?: string): IActionError | undefined {
    return this._actions.error(site, cluster);
  }

  /** How the last action of a site or cluster differed from the request (see `ActionTracker.notice`). */
  notice(site: string, cluster?: string): IActionNotice | undefined {
    return this._actions.notice(site, cluster);
  }

  dismissError(site: string, cluster?: string): void {
    if (this._actions.dismiss(site, cluster)) {
      this.emit();
    }
  }

  optionsState(site: string): OptionsState | undefined {
    return this._options.get(site);
  }

  /** Load every site's state (the sidecar checks reachability first). */
  async refresh(): Promise<void> {
    try {
      const sites = await this.client.sites();
      this._loadError = undefined;
      this._loaded = true;
      if (this._active && this._live?.status === 'waiting') {
        this._live.reconnect(); // the server answers: no need to wait out the backoff
      }
      if (this._streaming) {
        // The live stream is newer: this answer may have been made before a
        // diff that arrived first, and the stream would not send it again.
        this.emit();
      } else {
        this.setSites(sites);
      }
    } catch (err) {
      this._loadError = toActionError('refresh', err);
      this._loaded = true;
      this.emit();
    }
  }

  /** Start a login; the answer (also sent live) says what the user does next. */
  login(
    site: string,
    flow?: 'device' | 'code'
  ): Promise<LoginState | undefined> {
    return this.run(
      site,
      undefined,
      'login',
      () => this.client.login(site, flow),
      login => this.setSites(withLogin(this._sites, site, login))
    );
  }

  /** Cancel a pending login or log out. */
  logout(site: string): Promise<LoginState | undefined> {
    return this.run(
      site,
      undefined,
      'logout',
      () => this.client.logout(site),
      login => this.setSites(withLogin(this._sites, site, login))
    );
  }

  /** The site's cluster options, loaded once (again with `force`). */
  async loadOptions(site: string, force = false): Promise<void> {
    const known = this._options.get(site);
    if (known && known.status !== 'error' && !force) {
      return;
    }
    this._options.set(site, { status: 'loading' });
    this.emit();
    try {
      const options = await this.client.options(site);
      this._options.set(site, { status: 'ready', options });
    } catch (err) {
      this._options.set(site, {
        status: 'error',
        error: toActionError('options', err)
      });
    }
    this.emit();
  }

  /**
   * Create a cluster and wait until it runs (the sidecar reports it as
   * pending meanwhile), then scale it to `workers`.
   */
  async createCluster(
    site: string,
    request: INewCluster
  ): Promise<IClusterInfo | undefined> {
    const info = await this.run(
      site,
      undefined,
      'create',
      () =>
        this.client.createCluster(site, {
          options: request.options,
          ...(request.displayName ? { displayName: request.displayName } : {}),
          wait: true
        }),
      cluster => this.setSites(withCluster(this._sites, site, cluster))
    );
    if (info && info.status === 'RUNNING' && request.workers) {
      return (await this.scale(site, info.name, request.workers)) ?? info;
    }
    return info;
  }

  renameCluster(
    site: string,
    cluster: string,
    displayName: string
  ): Promise<IClusterInfo | undefined> {
    return this.run(
      site,
      cluster,
      'rename',
      () => this.client.renameCluster(site, cluster, displayName),
      info => this.setSites(withCluster(this._sites, site, info))
    );
  }

  scale(
    site: string,
    cluster: string,
    count: number
  ): Promise<IClusterInfo | undefined> {
    return this.run(
      site,
      cluster,
      'scale',
      () => this.client.scale(site, cluster, count),
      answer => this.scaled(site, cluster, answer, 'scale', String(count))
    );
  }

  adapt(
    site: string,
    cluster: string,
    minimum: number,
    maximum: number
  ): Promise<IClusterInfo | undefined> {
    return this.run(
      site,
      cluster,
      'adapt',
      () => this.client.adapt(site, cluster, minimum, maximum),
      answer =>
        this.scaled(site, cluster, answer, 'adapt', `${minimum}–${maximum}`)
    );
  }

  async stopCluster(site: string, cluster: string): Promise<boolean> {
    let stopped = false;
    await this.run(
      site,
      cluster,
      'stop',
      () => this.client.stopCluster(site, cluster),
      () => {
        stopped = true;
        this.setSites(
          withClusterPatch(this._sites, site, cluster, { status: 'STOPPING' })
        );
      }
    );
    return stopped;
  }

  /** Make `cluster` the one kernels use at this site (`null`: no choice). */
  chooseCluster(
    site: string,
    cluster: string | null
  ): Promise<ISiteState | undefined> {
    return this.run(
      site,
      cluster ?? undefined,
      'choose',
      () => this.client.chooseCluster(site, cluster),
      state => this.setSites(withSite(this._sites, state))
    );
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._live?.stop();
    Signal.clearData(this);
  }

  /** One action of a site or cluster (see `ActionTracker.run`). */
  private run<T>(
    site: string,
    cluster: string | undefined,
    action: SiteAction,
    work: () => Promise<T>,
    apply: (result: T) => void
  ): Promise<T | undefined> {
    return this._actions.run({ site, cluster, action }, work, apply, () =>
      this.emit()
    );
  }

  private onLive(_: LiveConnection, message: LiveMessage): void {
    if (message.type === 'snapshot') {
      this._streaming = true;
    }
    this._loaded = true;
    this._loadError = undefined;
    this.setSites(applyLiveMessage(this._sites, message));
  }

  private onLiveStatus(_: LiveConnection, status: LiveStatus): void {
    if (status !== 'open') {
      this._streaming = false; // until the next connection's snapshot
    }
    this.emit();
  }

  private setSites(sites: readonly ISiteState[]): void {
    this._sites = sites;
    this.updateWatch();
    this.emit();
  }

  /** A scale or adapt answer: the cluster, and the site's cap if it applied one. */
  private scaled(
    site: string,
    cluster: string,
    answer: IScaleResponse,
    action: IActionNotice['action'],
    requested: string
  ): void {
    const { limited, ...info } = answer;
    // The answer carries no live figures: keep the ones shown until the live
    // stream sends new ones (it sends only changes, so it may not for a while).
    const shown = this._sites
      .find(s => s.name === site)
      ?.clusters.find(c => c.name === cluster)?.live;
    this.setSites(
      withCluster(this._sites, site, { ...info, live: info.live ?? shown })
    );
    if (limited) {
      this._actions.setNotice(site, cluster, {
        action,
        requested,
        limit: limited
      });
    }
  }

  private updateWatch(): void {
    if (this._active) {
      this._live?.watch(this._sites.map(site => site.name));
    }
  }

  private emit(): void {
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  private readonly _live: LiveConnection | undefined;
  private _sites: readonly ISiteState[] = [];
  private _loaded = false;
  private _loadError: IActionError | undefined;
  /** A snapshot came over the live socket that is open now: it is the source of the sites. */
  private _streaming = false;
  private _settings: IPanelSettings;
  private _active = false;
  private _shown = false;
  private _holds = 0;
  private _disposed = false;
  private readonly _actions = new ActionTracker();
  private readonly _options = new Map<string, OptionsState>();
  private readonly _changed = new Signal<this, void>(this);
}

export namespace SitesModel {
  export interface IOptions {
    client: SidecarClient;
    /** Without one, the model only knows what REST calls return. */
    live?: LiveConnection;
    settings?: IPanelSettings;
  }
}
