/**
 * The device flow (RFC 8628): ask the issuer for a device code, then poll
 * its token endpoint until the user approves or refuses, or the code
 * expires. Nothing here changes a session: the polling loop says how the
 * attempt ended and the session acts on it.
 */
import type { LoginState } from '../../protocol';

import type { IClock } from './clock';
import { AuthConfigError } from './errors';
import {
  OidcProtocolError,
  type DevicePollResult,
  type IDeviceAuthorization,
  type IOidcClient,
  type IResourceParams,
  type ITokenResponse
} from './issuer-client';
import {
  deviceExpiredReason,
  deviceRefusedReason,
  errorMessage
} from './login-failures';
import type { IAuthLogger } from './session-types';
import type { ISessionTiming } from './token-policy';

/** What the user sees while a device login waits for approval. */
export type DevicePendingState = Extract<
  LoginState,
  { status: 'pending'; flow: 'device' }
>;

/** Ask for a device code; `AuthConfigError` if the issuer has no device flow. */
export async function startDeviceLogin(
  client: IOidcClient,
  params: { scope: string } & IResourceParams,
  label: string
): Promise<IDeviceAuthorization> {
  if (!client.supportsDeviceFlow) {
    throw new AuthConfigError(
      `the login server of ${label} offers no device login; ` +
        'set "flow": "code" in the site registry'
    );
  }
  return client.startDeviceAuthorization(params);
}

/** When the device code dies, ms since the epoch (never before 1 s). */
export function deviceCodeExpiry(
  device: IDeviceAuthorization,
  now: number
): number {
  return now + Math.max(1, device.expiresIn) * 1000;
}

export function devicePendingState(
  device: IDeviceAuthorization,
  expiresAt: number
): DevicePendingState {
  return {
    status: 'pending',
    flow: 'device',
    userCode: device.userCode,
    verificationUri: device.verificationUri,
    ...(device.verificationUriComplete
      ? { verificationUriComplete: device.verificationUriComplete }
      : {}),
    expiresAt
  };
}

/** What one device login attempt needs for its polling. */
export interface IDevicePolling {
  client: IOidcClient;
  device: IDeviceAuthorization;
  /** From `deviceCodeExpiry`: no poll is made from then on. */
  expiresAt: number;
  /** RFC 8707 resource of the token request. */
  resource?: string;
  clock: IClock;
  /** Aborted when the attempt is abandoned: stops the waiting at once. */
  signal: AbortSignal;
  timing: Pick<ISessionTiming, 'defaultPollInterval' | 'slowDownStep'>;
  /** Is this attempt still the session's? Asked after each wait and answer. */
  isCurrent(): boolean;
  /** Site labels, for the log. */
  label: string;
  /** Scrubs the session's tokens out of a text. */
  redact(text: string): string;
  logger?: IAuthLogger;
}

/** How a device login attempt ended. */
export type DeviceLoginOutcome =
  | { status: 'tokens'; tokens: ITokenResponse }
  /** The issuer refused (declined, or an OAuth error). */
  | { status: 'refused'; reason: string }
  | { status: 'expired'; reason: string }
  /**
   * Cancelled or replaced. `lateTokens`: the user approved while the last
   * poll was under way; nobody will use them.
   */
  | { status: 'abandoned'; lateTokens?: ITokenResponse };

/** Poll until the attempt ends; network errors are logged and polled through. */
export async function pollDeviceAuthorization(
  polling: IDevicePolling
): Promise<DeviceLoginOutcome> {
  const { client, device, clock, signal } = polling;
  let interval =
    device.interval && device.interval > 0
      ? device.interval * 1000
      : polling.timing.defaultPollInterval;
  for (;;) {
    const left = polling.expiresAt - clock.now();
    if (left > 0) {
      await clock.sleep(Math.min(interval, left), signal);
    }
    if (signal.aborted || !polling.isCurrent()) {
      return { status: 'abandoned' };
    }
    if (clock.now() >= polling.expiresAt) {
      return { status: 'expired', reason: deviceExpiredReason() };
    }
    let result: DevicePollResult;
    try {
      result = await client.pollDeviceAuthorization(device.deviceCode, {
        resource: polling.resource
      });
    } catch (err) {
      if (!polling.isCurrent()) {
        return { status: 'abandoned' };
      }
      if (err instanceof OidcProtocolError) {
        return {
          status: 'refused',
          reason: deviceRefusedReason(err, polling.redact)
        };
      }
      // A blip: keep polling until the code expires.
      polling.logger?.warn(
        `login to ${polling.label}: polling the login server failed ` +
          `(${polling.redact(errorMessage(err))}); retrying`
      );
      continue;
    }
    if (result.status === 'pending') {
      continue;
    }
    if (result.status === 'slow-down') {
      interval += polling.timing.slowDownStep;
      continue;
    }
    if (!polling.isCurrent()) {
      // Cancelled while the last poll was under way: do not keep them.
      return { status: 'abandoned', lateTokens: result.tokens };
    }
    return { status: 'tokens', tokens: result.tokens };
  }
}
