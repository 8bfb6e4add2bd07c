/**
 * A session's client of its issuer: discovered at the first use and shared
 * by every later call; a failed discovery is tried again at the next use.
 * Failures come out as auth errors that say what was tried.
 */
import { AuthConfigError, AuthError } from './errors';
import {
  OidcProtocolError,
  type IOidcClient,
  type IOidcConnectOptions,
  type IOidcConnector
} from './issuer-client';
import {
  errorMessage,
  issuerUnreachable,
  redactedCause,
  type IFailureContext
} from './login-failures';

/** The session's client; `action` names what failed if it cannot connect. */
export type ConnectIssuer = (action: string) => Promise<IOidcClient>;

export class IssuerConnection {
  readonly #connector: IOidcConnector;
  readonly #options: IOidcConnectOptions;
  readonly #context: IFailureContext;
  #client?: Promise<IOidcClient>;

  constructor(
    connector: IOidcConnector,
    options: IOidcConnectOptions,
    context: IFailureContext
  ) {
    this.#connector = connector;
    this.#options = options;
    this.#context = context;
  }

  /** The client; `action` ("start a login", ...) names what failed if it fails. */
  connect(action: string): Promise<IOidcClient> {
    if (!this.#client) {
      const connecting = this.#connector
        .connect({ ...this.#options })
        .catch((err: unknown) => {
          if (this.#client === connecting) {
            this.#client = undefined; // try discovery again next time
          }
          throw err;
        });
      this.#client = connecting;
    }
    return this.#client.catch((err: unknown) => {
      throw this.#wrap(err, action);
    });
  }

  #wrap(err: unknown, action: string): Error {
    if (err instanceof AuthError) {
      return err;
    }
    const { label, redact } = this.#context;
    if (err instanceof OidcProtocolError) {
      // Discovery answered, but with something unusable (e.g. another issuer).
      return new AuthConfigError(
        `the login server of ${label} cannot be used: ${redact(err.message)}`,
        { cause: redactedCause(err, redact) }
      );
    }
    return issuerUnreachable(this.#context, action, redact(errorMessage(err)), {
      cause: redactedCause(err, redact)
    });
  }
}
