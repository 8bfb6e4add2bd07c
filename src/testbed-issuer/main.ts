/**
 * The testbed's OpenID Connect issuer.
 *
 *   node testbed-issuer.mjs --config /path/config.json
 *
 * Prints `ready <issuer-url>` on stdout once it accepts requests, then logs
 * one line per request on stderr. Exit codes: 0 after SIGTERM/SIGINT,
 * 2 for a bad command line, config or keys file, 1 for other failures.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

import { Accounts } from './accounts.js';
import { MemoryStore } from './adapter.js';
import { ConfigError, loadConfigFile, type IIssuerConfig } from './config.js';
import { loadOrCreateSigningKeys, type IPrivateJwks } from './keys.js';
import { createProvider } from './provider.js';
import { createRequestHandler, type RequestHandler } from './server.js';

const USAGE = 'usage: testbed-issuer --config /path/to/config.json';
const SHUTDOWN_GRACE_MS = 3000;

function fail(exitCode: number, message: string): never {
  process.stderr.write(`testbed-issuer: ${message}\n`);
  process.exit(exitCode);
}

function configPathFromArgs(): string {
  let values: { config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true,
      allowPositionals: false
    }));
  } catch (err) {
    fail(2, `${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!values.config) {
    fail(2, `missing --config\n${USAGE}`);
  }
  return values.config;
}

function loadSetup(path: string): {
  config: IIssuerConfig;
  jwks: IPrivateJwks;
} {
  try {
    const config = loadConfigFile(path);
    return { config, jwks: loadOrCreateSigningKeys(config.keysFile) };
  } catch (err) {
    if (err instanceof ConfigError) {
      fail(2, `invalid configuration: ${err.message}`);
    }
    throw err;
  }
}

/** Listen address without IPv6 brackets; URL host with them. */
function hostForms(host: string): { listen: string; url: string } {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return { listen: bare, url: bare.includes(':') ? `[${bare}]` : bare };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeOnSignals(server: Server): void {
  let closing = false;
  const shutdown = (): void => {
    if (closing) {
      return;
    }
    closing = true;
    server.close(() => process.exit(0));
    // Keep-alive connections would otherwise hold close() open.
    server.closeAllConnections();
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

async function main(): Promise<void> {
  const { config, jwks } = loadSetup(configPathFromArgs());
  const accounts = new Accounts(config.users);
  const hosts = hostForms(config.host);

  // The issuer URL needs the port, which is only known after listening
  // (port 0); requests arriving before the provider exists get a 503.
  let handler: RequestHandler | undefined;
  const server = createServer((req, res) => {
    if (handler) {
      handler(req, res);
    } else {
      res.writeHead(503, { 'Retry-After': '1' }).end();
    }
  });
  closeOnSignals(server);

  let port: number;
  try {
    port = await listen(server, config.port, hosts.listen);
  } catch (err) {
    fail(
      1,
      `cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`
    );
  }

  const issuer = `http://${hosts.url}:${port}${config.issuerPath}`;
  const provider = createProvider({
    config,
    issuer,
    jwks,
    accounts,
    store: new MemoryStore()
  });
  provider.on('server_error', (_ctx, err) => {
    process.stderr.write(`server_error: ${err.name}: ${err.message}\n`);
  });
  handler = createRequestHandler(provider, accounts, config.issuerPath);

  process.stdout.write(`ready ${issuer}\n`);
}

main().catch((err: unknown) => {
  fail(1, err instanceof Error ? (err.stack ?? err.message) : String(err));
});
