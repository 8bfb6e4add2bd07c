/**
 * The login pages oidc-provider sends people to (interactions.url):
 *
 *   GET  /interaction/:uid         the sign-in form
 *   POST /interaction/:uid/login   check username and password
 *   POST /interaction/:uid/abort   cancel (the client gets access_denied)
 *
 * Only the login prompt is ever shown: consent is implied for the
 * configured clients (see loadExistingGrant in provider.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Interaction, Provider } from 'oidc-provider';

import type { Accounts } from './accounts.js';
import { errorPage, loginPage } from './pages.js';

export type InteractionAction = 'show' | 'login' | 'abort';

export interface IInteractionRoute {
  uid: string;
  action: InteractionAction;
}

export interface IInteractionDeps {
  provider: Provider;
  accounts: Accounts;
  /** The issuer path prefix ("" or "/something"). */
  issuerPath: string;
}

const ROUTE = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?\/?$/;
const MAX_FORM_BYTES = 16 * 1024;

/** Match a path (with the issuer prefix already removed). */
export function matchInteractionRoute(
  pathname: string
): IInteractionRoute | undefined {
  const m = ROUTE.exec(pathname);
  if (!m) {
    return undefined;
  }
  return {
    uid: m[1]!,
    action: (m[2] as 'login' | 'abort' | undefined) ?? 'show'
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string
  ) {
    super(description);
  }
}

function sendHtml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    // No scripts, no framing: the page is a plain form.
    'Content-Security-Policy':
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff'
  });
  res.end(body);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new HttpError(
      415,
      'invalid_request',
      'expected an application/x-www-form-urlencoded form'
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) {
      throw new HttpError(413, 'invalid_request', 'form too large');
    }
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function loadInteraction(
  req: IncomingMessage,
  res: ServerResponse,
  deps: IInteractionDeps,
  uid: string
): Promise<Interaction> {
  let details: Interaction;
  try {
    details = await deps.provider.interactionDetails(req, res);
  } catch (err) {
    if ((err as Error).name === 'SessionNotFound') {
      throw new HttpError(
        400,
        'invalid_request',
        'This sign-in has expired or was started in another browser (or cookies are blocked). Start again from the application.'
      );
    }
    throw err;
  }
  // The cookie names the interaction; a stale tab must not act on another.
  if (details.uid !== uid) {
    throw new HttpError(
      400,
      'invalid_request',
      'This sign-in page is out of date. Start again from the application.'
    );
  }
  if (details.prompt.name !== 'login') {
    throw new HttpError(
      500,
      'server_error',
      `unexpected interaction prompt "${details.prompt.name}"`
    );
  }
  return details;
}

async function clientName(
  deps: IInteractionDeps,
  details: Interaction
): Promise<string> {
  const clientId = String(details.params.client_id ?? '');
  const client = await deps.provider.Client.find(clientId);
  return client?.clientName ?? client?.clientId ?? clientId;
}

async function renderLogin(
  res: ServerResponse,
  deps: IInteractionDeps,
  details: Interaction,
  failed: { username: string } | undefined
): Promise<void> {
  const base = `${deps.issuerPath}/interaction/${details.uid}`;
  const page = loginPage({
    loginAction: `${base}/login`,
    abortAction: `${base}/abort`,
    clientName: await clientName(deps, details),
    usernames: deps.accounts.usernames,
    failed: failed !== undefined,
    ...(failed ? { username: failed.username } : {})
  });
  // 200 on failure too: the page is simply shown again.
  sendHtml(res, 200, page);
}

async function dispatch(
  req: IncomingMessage,
  res: ServerResponse,
  route: IInteractionRoute,
  deps: IInteractionDeps
): Promise<void> {
  const method = req.method ?? 'GET';
  const allowed = route.action === 'show' ? ['GET', 'HEAD'] : ['POST'];
  if (!allowed.includes(method)) {
    res.setHeader('Allow', allowed.join(', '));
    throw new HttpError(405, 'invalid_request', `use ${allowed.join(' or ')}`);
  }

  const details = await loadInteraction(req, res, deps, route.uid);

  switch (route.action) {
    case 'show':
      await renderLogin(res, deps, details, undefined);
      return;
    case 'login': {
      const form = await readForm(req);
      const username = (form.get('username') ?? '').trim();
      const password = form.get('password') ?? '';
      const accountId = deps.accounts.verifyPassword(username, password);
      if (accountId === undefined) {
        await renderLogin(res, deps, details, { username });
        return;
      }
      await deps.provider.interactionFinished(
        req,
        res,
        { login: { accountId } },
        { mergeWithLastSubmission: false }
      );
      return;
    }
    case 'abort':
      await deps.provider.interactionFinished(
        req,
        res,
        {
          error: 'access_denied',
          error_description: 'End-User aborted interaction'
        },
        { mergeWithLastSubmission: false }
      );
      return;
  }
}

export async function handleInteraction(
  req: IncomingMessage,
  res: ServerResponse,
  route: IInteractionRoute,
  deps: IInteractionDeps
): Promise<void> {
  try {
    await dispatch(req, res, route, deps);
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpError) {
      sendHtml(res, err.status, errorPage(err.error, err.description));
      return;
    }
    // Name and message only: never request data.
    process.stderr.write(
      `interaction error: ${(err as Error).name}: ${(err as Error).message}\n`
    );
    sendHtml(res, 500, errorPage('server_error'));
  }
}
