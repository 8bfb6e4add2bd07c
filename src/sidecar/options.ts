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

export type ListenAddress =
  { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export interface ISidecarOptions {
  registryPath: string;
  listen: ListenAddress;
  secret: string;
}

export type ParsedCommandLine =
  | { action: 'run'; options: ISidecarOptions }
  | { action: 'help' }
  | { action: 'version' };

export const USAGE = `Usage: sidecar --registry <file.json> [--listen <host:port | unix:/path>]

Serves the Dask Sites API for one Jupyter server.

Options:
  --registry <file>   site registry document (JSON), required
  --listen <address>  loopback host:port (port 0 picks a free one) or
                      unix:/path/to/socket; default 127.0.0.1:0
  --help              show this help
  --version           show the version

Environment:
  ${SECRET_ENV}  secret that callers send as "Authorization: token <secret>"

Prints "ready <url>" on stdout once it accepts connections.`;

export class UsageError extends Error {}

export function parseCommandLine(
  argv: string[],
  env: NodeJS.ProcessEnv
): ParsedCommandLine {
  let registryPath: string | undefined;
  let listenText = '127.0.0.1:0';
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
    options: { registryPath, listen: parseListen(listenText), secret }
  };
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
