/**
 * Command line of the sidecar.
 *
 *   sidecar --registry <file.json> [--listen <host:port | unix:/path>]
 *
 * The secret that guards the API comes from the environment
 * (`DASK_SITES_SIDECAR_SECRET`), never from the command line, so that it
 * does not show up in process listings.
 */
import { isIP } from 'node:net';

export const SECRET_ENV = 'DASK_SITES_SIDECAR_SECRET';
/** Kernels send this one; only it unlocks the kernel API (TLS keys). */
export const KERNEL_SECRET_ENV = 'DASK_SITES_KERNEL_SECRET';

export type ListenAddress =
  { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export interface ISidecarOptions {
  /** A file path or an http(s) URL. */
  registryPath: string;
  listen: ListenAddress;
  secret: string;
  /** Empty when no kernel may call (the kernel API is then closed). */
  kernelSecret: string;
  /** The Jupyter server as the browser sees it, e.g. `http://127.0.0.1:8888/`. */
  publicUrl?: string;
  /** Folder of the state file; none keeps state in memory only. */
  stateDir?: string;
  /** May the kernel API create a site's default cluster when none runs? */
  autoCreateCluster: boolean;
  /** May the registry name link-local or cloud-metadata hosts? (Absent: no.) */
  allowLinkLocalHosts?: boolean;
  /** Exit when this process (the Jupyter server) is gone. */
  parentPid?: number;
  /** What becomes of a cluster made for kernels once they all ended. */
  kernelClusters: KernelClustersMode;
  /** How long after the last of its kernels ended such a cluster stops (ms). */
  kernelClusterGraceMs: number;
}

/** `stop-with-kernel`: stop it after the grace period; `keep`: leave it to the user. */
export type KernelClustersMode = 'stop-with-kernel' | 'keep';
export const KERNEL_CLUSTERS_MODES: readonly KernelClustersMode[] = [
  'stop-with-kernel',
  'keep'
];
export const DEFAULT_KERNEL_CLUSTER_GRACE_S = 60;

export type ParsedCommandLine =
  | { action: 'run'; options: ISidecarOptions }
  | { action: 'help' }
  | { action: 'version' };

export const USAGE = `Usage: sidecar --registry <file.json | URL> [--listen <host:port | unix:/path>] [options]

Serves the Dask Sites API for one Jupyter server.

Options:
  --registry <file|url>  site registry document (JSON), required
  --listen <address>     loopback host:port (port 0 picks a free one) or
                         unix:/path/to/socket; default 127.0.0.1:0
  --public-url <url>     the Jupyter server's URL as the browser sees it
                         (for the OIDC code-flow callback)
  --state-dir <dir>      where to keep the state file (mode 0600)
  --auto-create-cluster  let kernels create a site's default cluster
  --kernel-clusters <stop-with-kernel|keep>
                         what becomes of a cluster made for kernels once they
                         all ended (default stop-with-kernel)
  --kernel-cluster-grace <seconds>
                         how long after that it stops (default ${DEFAULT_KERNEL_CLUSTER_GRACE_S})
  --allow-link-local-hosts
                         accept link-local and cloud-metadata hosts in the registry
  --parent-pid <pid>     exit when this process is gone
  --help                 show this help
  --version              show the version

Environment:
  ${SECRET_ENV}  secret the Jupyter server sends as "Authorization: token <secret>"
  ${KERNEL_SECRET_ENV}   secret kernels send (kernel API only); optional

Prints "ready <url>" on stdout once it accepts connections.`;

export class UsageError extends Error {}

export function parseCommandLine(
  argv: string[],
  env: NodeJS.ProcessEnv
): ParsedCommandLine {
  let registryPath: string | undefined;
  let listenText = '127.0.0.1:0';
  let publicUrl: string | undefined;
  let stateDir: string | undefined;
  let autoCreateCluster = false;
  let allowLinkLocalHosts = false;
  let parentPid: number | undefined;
  let kernelClusters: KernelClustersMode = 'stop-with-kernel';
  let kernelClusterGraceMs = DEFAULT_KERNEL_CLUSTER_GRACE_S * 1000;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') ? splitFlag(arg) : [arg];
    const value = (): string => {
      if (inline !== undefined) {
        return inline;
      }
      const next = argv[++i];
      if (next === undefined) {
        throw new UsageError(`${flag} needs a value`);
      }
      return next;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return { action: 'help' };
      case '--version':
        return { action: 'version' };
      case '--registry':
        registryPath = value();
        break;
      case '--listen':
        listenText = value();
        break;
      case '--public-url':
        publicUrl = parsePublicUrl(value());
        break;
      case '--state-dir':
        stateDir = value();
        break;
      case '--auto-create-cluster':
        autoCreateCluster = true;
        break;
      case '--allow-link-local-hosts':
        allowLinkLocalHosts = true;
        break;
      case '--kernel-clusters': {
        const text = value();
        if (!(KERNEL_CLUSTERS_MODES as readonly string[]).includes(text)) {
          throw new UsageError(
            `--kernel-clusters ${text}: expected ${KERNEL_CLUSTERS_MODES.join(' or ')}`
          );
        }
        kernelClusters = text as KernelClustersMode;
        break;
      }
      case '--kernel-cluster-grace': {
        const text = value();
        const seconds = Number(text);
        if (!Number.isFinite(seconds) || seconds < 0 || seconds > 86_400) {
          throw new UsageError(
            `--kernel-cluster-grace ${text}: expected seconds from 0 to 86400`
          );
        }
        kernelClusterGraceMs = seconds * 1000;
        break;
      }
      case '--parent-pid': {
        const text = value();
        parentPid = Number(text);
        if (!Number.isInteger(parentPid) || parentPid <= 0) {
          throw new UsageError(`--parent-pid ${text}: expected a process id`);
        }
        break;
      }
      default:
        throw new UsageError(`unknown argument: ${arg}`);
    }
  }
  if (!registryPath) {
    throw new UsageError('--registry is required');
  }
  const secret = env[SECRET_ENV] ?? '';
  if (!secret) {
    throw new UsageError(`${SECRET_ENV} must be set to a non-empty secret`);
  }
  return {
    action: 'run',
    options: {
      registryPath,
      listen: parseListen(listenText),
      secret,
      kernelSecret: env[KERNEL_SECRET_ENV] ?? '',
      autoCreateCluster,
      kernelClusters,
      kernelClusterGraceMs,
      ...(allowLinkLocalHosts ? { allowLinkLocalHosts } : {}),
      ...(publicUrl ? { publicUrl } : {}),
      ...(stateDir ? { stateDir } : {}),
      ...(parentPid ? { parentPid } : {})
    }
  };
}

function parsePublicUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--public-url ${text}: not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--public-url ${text}: must be http(s)`);
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** `127.0.0.1:8765`, `[::1]:0`, `localhost:0` or `unix:/path/to/socket`. */
export function parseListen(text: string): ListenAddress {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (!path.startsWith('/')) {
      throw new UsageError(
        `--listen ${text}: the socket path must be absolute`
      );
    }
    return { kind: 'unix', path };
  }
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!match) {
    throw new UsageError(
      `--listen ${text}: expected host:port or unix:/path/to/socket`
    );
  }
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  if (port > 65535) {
    throw new UsageError(`--listen ${text}: port out of range`);
  }
  if (!isLoopback(host)) {
    throw new UsageError(
      `--listen ${text}: only loopback addresses are allowed (127.0.0.1, ::1, localhost)`
    );
  }
  return { kind: 'tcp', host, port };
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') {
    return true;
  }
  return isIP(host) === 4 && host.startsWith('127.');
}

function splitFlag(arg: string): [string, string?] {
  const eq = arg.indexOf('=');
  return eq === -1 ? [arg] : [arg.slice(0, eq), arg.slice(eq + 1)];
}
