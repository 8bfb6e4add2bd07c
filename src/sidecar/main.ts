/**
 * Dask Sites sidecar: entry point of `jupyter_ext_server/bundled/sidecar.mjs`.
 *
 * Started and supervised by the Jupyter server extension. It prints
 * `ready <url>` on stdout once it accepts connections and exits cleanly on
 * SIGTERM or SIGINT.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';

import { Unpackr } from 'msgpackr';

import { version } from '../../package.json';
import type { ISiteRegistry } from '../protocol';
import { atMost } from './at-most';
import { SessionManager } from './auth';
import { OpenidClientConnector } from './auth/openid-client-connector';
import { DashboardCapabilities } from './dashboards/capabilities';
import { DashboardProxy } from './dashboards/proxy';
import { DisplayNames } from './gateway';
import { LiveSocket } from './http/live-socket';
import { apiRoutes } from './http/routes';
import { SiteCredentials } from './storage';
import { CallerCheck } from './http/secrets';
import { createHttpServer } from './http/server';
import { LiveEncoder, liveMsgpackOptions } from './live';
import {
  parseCommandLine,
  UsageError,
  USAGE,
  type ISidecarOptions,
  type ListenAddress
} from './options';
import { loadRegistryFrom } from './registry-source';
import { SitesService } from './sites';
import { StateFile } from './state/state-file';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`sidecar: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.action === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.action === 'version') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const { options } = parsed;

  const state = await StateFile.open(options.stateDir);
  const loaded = await loadRegistryFrom({
    location: options.registryPath,
    cacheDir: options.stateDir,
    rules: { allowLinkLocalHosts: options.allowLinkLocalHosts }
  });
  if (!loaded.ok) {
    process.stderr.write(
      `sidecar: invalid site registry ${options.registryPath}:\n` +
        loaded.errors.map(e => `  ${e}\n`).join('')
    );
    return 1;
  }
  if (loaded.stale) {
    log(`sidecar: ${loaded.stale}`);
  }

  const { server, shutdown } = await buildServer(
    options,
    loaded.registry,
    state
  );
  const url = await listen(server, options.listen);
  const stop = stopper(server, shutdown, () => state.flushed());
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  if (options.parentPid) {
    exitWithParent(options.parentPid, stop);
  }
  process.stdout.write(`ready ${url}\n`);
  return -1; // keep running
}

/** How long answers wait for saved logins to come back after a start. */
const RESTORE_WAIT_MS = 5_000;

/** Compose the sidecar: logins, sites, routes, live socket, dashboards. */
async function buildServer(
  options: ISidecarOptions,
  registry: ISiteRegistry,
  state: StateFile
): Promise<{ server: Server; shutdown: () => void }> {
  const basePath = options.publicUrl
    ? `${new URL(options.publicUrl).pathname}dask-sites/`
    : '/dask-sites/';
  const sessions = new SessionManager({
    sites: registry.sites,
    connector: new OpenidClientConnector(),
    store: refreshTokenStore(state),
    ...(options.publicUrl
      ? {
          callbackUrl: new URL('dask-sites/oidc/callback', options.publicUrl)
            .href
        }
      : {}),
    logger: {
      info: line => log(`sidecar: ${line}`),
      warn: line => log(`sidecar: ${line}`)
    }
  });
  const names = DisplayNames.fromJSON(state.state.displayNames);
  const capabilities = new DashboardCapabilities();
  const service = new SitesService({
    registry,
    sessions,
    names,
    state,
    basePath,
    autoCreateCluster: options.autoCreateCluster,
    onDashboardsEnd: (site, cluster) => capabilities.revoke(site, cluster),
    kernelClusters: options.kernelClusters,
    kernelClusterGraceMs: options.kernelClusterGraceMs,
    log
  });
  // Saved logins come back in the background; answers wait for them (at
  // most a few seconds: an issuer that does not answer must not hold us up).
  const restored = atMost(sessions.restore(), RESTORE_WAIT_MS);

  const dashboards = new DashboardProxy({
    gatewayOf: (site, cluster) => service.dashboardGatewayOf(site, cluster),
    capabilities
  });
  const live = new LiveSocket({
    source: service,
    newEncoder: () => new LiveEncoder(),
    // Plain msgpack maps decode as objects too (a default Unpackr makes Maps).
    decode: data => new Unpackr(liveMsgpackOptions()).unpack(data),
    allowedOrigins: [] // Jupyter's proxy checks the origin before it adds the secret
  });
  const server = createHttpServer({
    routes: apiRoutes(
      service,
      version,
      new SiteCredentials({ sites: registry.sites, sessions })
    ),
    callers: new CallerCheck(options.secret, options.kernelSecret),
    passThrough: [dashboards.handleLink],
    upgrades: [live.handleUpgrade],
    publicPassThrough: [dashboards.handleFrame],
    publicUpgrades: [dashboards.handleFrameUpgrade],
    ready: restored,
    log
  });
  const shutdown = () => {
    live.close();
    service.dispose();
    sessions.dispose();
  };
  return { server, shutdown };
}

/** Refresh tokens go to the state file (the session manager only saves where the registry allows). */
function refreshTokenStore(state: StateFile) {
  return {
    load: async (key: string) => state.state.refreshTokens[key],
    save: async (key: string, token: string | undefined) =>
      state.update(document => {
        if (token) {
          document.refreshTokens[key] = token;
        } else {
          delete document.refreshTokens[key];
        }
      })
  };
}

/** The Jupyter server may die without stopping us: follow it. */
function exitWithParent(pid: number, stop: (why: string) => void): void {
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch {
      clearInterval(timer);
      stop(`the Jupyter server (pid ${pid}) is gone`);
    }
  }, 2_000);
  timer.unref();
}

async function listen(server: Server, address: ListenAddress): Promise<string> {
  if (address.kind === 'unix') {
    await removeStaleSocket(address.path);
  }
  // A socket is created with the umask's permissions: make it owner-only
  // from the start instead of fixing it up after others could connect.
  const umask = address.kind === 'unix' ? process.umask(0o177) : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve();
      };
      if (address.kind === 'unix') {
        server.listen(address.path, done);
      } else {
        server.listen(address.port, address.host, done);
      }
    });
  } finally {
    if (umask !== undefined) {
      process.umask(umask);
    }
  }
  if (address.kind === 'unix') {
    await chmod(address.path, 0o600);
    return `unix:${address.path}`;
  }
  const { address: host, port } = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * A socket file left by a crashed sidecar would make listen() fail; one that
 * a live process still serves must not be taken over.
 */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if (!(await lstat(path)).isSocket()) {
      return; // listen() reports EADDRINUSE with the path
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return;
    }
    throw err;
  }
  const alive = await new Promise<boolean>(resolve => {
    const probe = connect(path)
      .once('connect', () => {
        probe.destroy();
        resolve(true);
      })
      .once('error', () => resolve(false));
  });
  if (alive) {
    throw new Error(`another process is listening on ${path}`);
  }
  await unlink(path);
}

/**
 * Stop: close WebSockets (the server would wait for them), stop timers,
 * drop open connections, let a state write under way finish and exit 0
 * (Node removes the socket file). A hard exit follows if something still
 * hangs.
 */
function stopper(
  server: Server,
  shutdown: () => void,
  flushed: () => Promise<void>
): (why: string) => void {
  let stopping = false;
  return why => {
    if (stopping) {
      return;
    }
    stopping = true;
    log(`sidecar: ${why}, stopping`);
    shutdown();
    // A state write under way (a cluster list just seen) finishes first.
    server.close(() => void flushed().then(() => process.exit(0)));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2_000).unref();
  };
}

main().then(
  code => {
    if (code >= 0) {
      process.exitCode = code;
    }
  },
  err => {
    process.stderr.write(
      `sidecar: ${err instanceof Error ? err.stack : err}\n`
    );
    process.exitCode = 1;
  }
);
