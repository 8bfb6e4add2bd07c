/**
 * The route table: which URL does what, who may call it, what body it takes.
 * The work itself is the `ISitesService`'s; routes only translate HTTP.
 */
import {
  KERNEL_OWNER,
  type IAdaptRequest,
  type IChooseClusterRequest,
  type IClusterInfo,
  type IClusterOptionSpec,
  type ICreateClusterRequest,
  type IKernelConnection,
  type IKernelSitesResponse,
  type IKernelsRunningRequest,
  type IVersionMismatch,
  type IVersionReport,
  type IRenameClusterRequest,
  type IDashboardPlot,
  type IScaleRequest,
  type IScaleResponse,
  type ISiteState,
  type IStorageCredentials,
  type LoginState
} from '../../protocol';
import {
  adaptRequest,
  chooseClusterRequest,
  createClusterRequest,
  kernelsRunningRequest,
  versionReportRequest,
  loginRequest,
  renameClusterRequest,
  scaleRequest
} from './requests';
import { atMost } from '../at-most';
import type { CodeLoginOutcome } from '../sites';
import { quoted } from '../errors';
import { HttpError } from './error-answers';
import { escapeHtml } from './replies';
import type { IRoute } from './router';

/** What the routes need from the rest of the sidecar. */
export interface ISitesService {
  siteStates(): ISiteState[];
  /** Bring reachability and cluster lists up to date (cached for a moment). */
  refreshSites(names?: string[]): Promise<void>;
  siteState(site: string): ISiteState;
  startLogin(site: string, flow?: 'device' | 'code'): Promise<LoginState>;
  endLogin(site: string): Promise<LoginState>;
  /** Finish a code-flow login, or say where it goes on (see `CodeLoginOutcome`). */
  completeCodeLogin(callbackUrl: URL): Promise<CodeLoginOutcome>;
  options(site: string): Promise<IClusterOptionSpec[]>;
  clusters(site: string): Promise<IClusterInfo[]>;
  createCluster(
    site: string,
    request: ICreateClusterRequest
  ): Promise<IClusterInfo>;
  renameCluster(
    site: string,
    cluster: string,
    displayName: string
  ): Promise<IClusterInfo>;
  scale(site: string, cluster: string, count: number): Promise<IScaleResponse>;
  adapt(
    site: string,
    cluster: string,
    minimum: number,
    maximum: number
  ): Promise<IScaleResponse>;
  /** The plots of a running cluster's dashboard. */
  dashboardPlots(site: string, cluster: string): Promise<IDashboardPlot[]>;
  stopCluster(site: string, cluster: string): Promise<void>;
  chooseCluster(site: string, cluster: string | null): Promise<ISiteState>;
  kernelConnection(
    site: string,
    cluster?: string,
    create?: boolean,
    owner?: string
  ): Promise<IKernelConnection>;
  kernelsRunning(server: string, kernels: readonly string[]): void;
  reportVersions(
    site: string,
    cluster: string,
    mismatches: IVersionMismatch[]
  ): void;
}

/** Where the kernel route gets a site's object-store keys (`storage/`). */
export interface IStorageCredentialsSource {
  forSite(site: string): Promise<IStorageCredentials>;
}

/** How long a status answer waits for sites to answer. */
const STATUS_WAIT_MS = 2_000;

export function apiRoutes(
  service: ISitesService,
  version: string,
  storage: IStorageCredentialsSource
): IRoute[] {
  // The browser (through the Jupyter proxy) may use every route; the kernel
  // secret opens only what the kernel uses: %site (the sites), %site login,
  // and the kernel routes.
  const browser = ['server'] as const;
  const browserAndKernel = ['server', 'kernel'] as const;
  return [
    {
      method: 'GET',
      path: '/api/health',
      callers: [],
      handle: () => ({ status: 200, body: { status: 'ok', version } })
    },
    {
      method: 'GET',
      path: '/api/sites',
      callers: [...browserAndKernel],
      handle: async () => {
        // A slow site must not hold up the others: answer with what is known after a while.
        await atMost(service.refreshSites(), STATUS_WAIT_MS);
        return { status: 200, body: { sites: service.siteStates() } };
      }
    },
    {
      method: 'GET',
      path: '/api/sites/:site',
      callers: [...browser],
      handle: async ({ params }) => {
        service.siteState(params.site); // 404 for an unknown site
        await service.refreshSites([params.site]);
        return { status: 200, body: service.siteState(params.site) };
      }
    },
    {
      method: 'POST',
      path: '/api/sites/:site/login',
      callers: [...browserAndKernel],
      body: loginRequest,
      handle: async ({ params, body }) => ({
        status: 200,
        body: await service.startLogin(
          params.site,
          (body as { flow?: 'device' | 'code' }).flow
        )
      })
    },
    {
      method: 'DELETE',
      path: '/api/sites/:site/login',
      callers: [...browser],
      handle: async ({ params }) => ({
        status: 200,
        body: await service.endLogin(params.site)
      })
    },
    {
      method: 'GET',
      path: '/api/sites/:site/options',
      callers: [...browser],
      handle: async ({ params }) => ({
        status: 200,
        body: { options: await service.options(params.site) }
      })
    },
    {
      method: 'GET',
      path: '/api/sites/:site/clusters',
      callers: [...browser],
      handle: async ({ params }) => ({
        status: 200,
        body: { clusters: await service.clusters(params.site) }
      })
    },
    {
      method: 'POST',
      path: '/api/sites/:site/clusters',
      callers: [...browser],
      body: createClusterRequest,
      handle: async ({ params, body }) => ({
        status: 201,
        body: await service.createCluster(
          params.site,
          body as ICreateClusterRequest
        )
      })
    },
    {
      method: 'PATCH',
      path: '/api/sites/:site/clusters/:cluster',
      callers: [...browser],
      body: renameClusterRequest,
      handle: async ({ params, body }) => ({
        status: 200,
        body: await service.renameCluster(
          params.site,
          params.cluster,
          (body as IRenameClusterRequest).displayName
        )
      })
    },
    {
      method: 'POST',
      path: '/api/sites/:site/clusters/:cluster/scale',
      callers: [...browser],
      body: scaleRequest,
      handle: async ({ params, body }) => ({
        status: 200,
        body: await service.scale(
          params.site,
          params.cluster,
          (body as IScaleRequest).count
        )
      })
    },
    {
      method: 'POST',
      path: '/api/sites/:site/clusters/:cluster/adapt',
      callers: [...browser],
      body: adaptRequest,
      handle: async ({ params, body }) => {
        const { minimum, maximum } = body as IAdaptRequest;
        return {
          status: 200,
          body: await service.adapt(
            params.site,
            params.cluster,
            minimum,
            maximum
          )
        };
      }
    },
    {
      method: 'GET',
      path: '/api/sites/:site/clusters/:cluster/plots',
      callers: [...browser],
      handle: async ({ params }) => ({
        status: 200,
        body: {
          plots: await service.dashboardPlots(params.site, params.cluster)
        }
      })
    },
    {
      method: 'DELETE',
      path: '/api/sites/:site/clusters/:cluster',
      callers: [...browser],
      handle: async ({ params }) => {
        await service.stopCluster(params.site, params.cluster);
        return { status: 204 };
      }
    },
    {
      method: 'PUT',
      path: '/api/sites/:site/chosen-cluster',
      callers: [...browser],
      body: chooseClusterRequest,
      handle: async ({ params, body }) => ({
        status: 200,
        body: await service.chooseCluster(
          params.site,
          (body as IChooseClusterRequest).cluster
        )
      })
    },
    {
      method: 'GET',
      path: '/oidc/callback',
      callers: ['server'],
      handle: async ({ url }) => {
        const outcome = await service
          .completeCodeLogin(url)
          .catch((err: Error) => {
            return err;
          });
        if (outcome instanceof Error) {
          return { status: 400, html: callbackPage(false, outcome.message) };
        }
        return 'continueAt' in outcome
          ? { status: 303, redirect: outcome.continueAt }
          : {
              status: 200,
              html: callbackPage(
                true,
                `Logged in to ${outcome.loggedIn.join(', ')}.`
              )
            };
      }
    },
    {
      // Names and data rules only, straight from the registry: kernels ask
      // this while routing, so it must never wait for a gateway.
      method: 'GET',
      path: '/kernel/sites',
      callers: ['kernel'],
      handle: async () => ({
        status: 200,
        body: {
          sites: service.siteStates().map(({ name, label, data }) => ({
            name,
            label,
            ...(data ? { data } : {})
          }))
        } satisfies IKernelSitesResponse
      })
    },
    {
      method: 'GET',
      path: '/kernel/sites/:site/connection',
      callers: ['kernel'],
      handle: async ({ params, url }) => ({
        status: 200,
        body: await service.kernelConnection(
          params.site,
          url.searchParams.get('cluster') ?? undefined,
          url.searchParams.get('create') === '1',
          kernelOwner(url.searchParams.get('owner'))
        )
      })
    },
    {
      // A kernel compared its package versions with the cluster's (kernel/versions.py).
      method: 'PUT',
      path: '/kernel/sites/:site/clusters/:cluster/versions',
      callers: ['kernel'],
      body: versionReportRequest,
      handle: ({ params, body }) => {
        const { mismatches } = body as IVersionReport;
        service.reportVersions(params.site, params.cluster, mismatches);
        return { status: 204 };
      }
    },
    {
      // Secrets: only kernels may ask (the browser's secret is refused), and
      // the answer is never logged.
      method: 'GET',
      path: '/kernel/sites/:site/storage-credentials',
      callers: ['kernel'],
      handle: async ({ params }) => {
        service.siteState(params.site); // 404 for an unknown site
        return { status: 200, body: await storage.forSite(params.site) };
      }
    },
    {
      // The Jupyter server tells which kernels run (its proxy never forwards `server/`).
      method: 'PUT',
      path: '/server/kernels',
      callers: ['server'],
      body: kernelsRunningRequest,
      handle: ({ body }) => {
        const { server, running } = body as IKernelsRunningRequest;
        service.kernelsRunning(server, running);
        return { status: 204 };
      }
    }
  ];
}

/** The asking kernel's name, checked; none when not given. */
function kernelOwner(text: string | null): string | undefined {
  if (text === null) {
    return undefined;
  }
  if (!KERNEL_OWNER.test(text)) {
    throw new HttpError(
      'invalid-request',
      `owner ${quoted(text)} is not <kernel id>/<process id>`
    );
  }
  return text;
}

/** The page the login popup lands on; it tells the opener and closes itself. */
function callbackPage(ok: boolean, message: string): string {
  const text = escapeHtml(message);
  const payload = JSON.stringify({ type: 'dask-sites-login', ok }).replace(
    /</g,
    '\\u003c'
  );
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Dask Sites login</title></head>
<body style="font-family: sans-serif; margin: 3em" data-dask-sites-login="${ok ? 'ok' : 'failed'}">
<p>${text}</p><p>You can close this window.</p>
<script>if (window.opener) { window.opener.postMessage(${payload}, window.location.origin); window.close(); }</script>
</body></html>`;
}
