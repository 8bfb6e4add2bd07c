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

import { version } from '../../package.json';
import {
  parseCommandLine,
  UsageError,
  USAGE,
  type ListenAddress
} from './options';
import { loadRegistry } from './registry';
import { createSidecarServer } from './server';

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

  const result = await loadRegistry(options.registryPath);
  if (!result.ok) {
    process.stderr.write(
      `sidecar: invalid site registry ${options.registryPath}:\n` +
        result.errors.map(e => `  ${e}\n`).join('')
    );
    return 1;
  }

  const server = createSidecarServer({
    registry: result.registry,
    secret: options.secret,
    version
  });
  const url = await listen(server, options.listen);
  stopOnSignals(server);
  process.stdout.write(`ready ${url}\n`);
  return -1; // keep running
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

/** Stop listening, drop open connections and exit 0 (Node removes the socket file). */
function stopOnSignals(server: Server): void {
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(`sidecar: ${signal}, stopping\n`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
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
