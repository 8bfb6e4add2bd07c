/**
 * A site's login: who is logged in and until when, or the steps of a
 * pending device or code flow, with log in / log out / cancel.
 */
import { Clipboard } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, checkIcon, copyIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ISiteState, LoginState } from '../../protocol';
import type { SitesModel } from '../model/sites-model';
import { formatClock, formatCountdown, formatDuration } from './format';
import { useNow } from './hooks';

export interface ILoginSectionProps {
  model: SitesModel;
  site: ISiteState;
  trans: TranslationBundle;
}

/** Name of the login popup window (reused, so a second click does not open another). */
const POPUP = 'dask-sites-login';

/** Open the issuer's page for a code-flow login; false when the browser blocked it. */
export function openLoginPopup(url: string): boolean {
  const popup = window.open(url, POPUP, 'popup,width=520,height=720');
  return !!popup;
}

export function LoginSection(props: ILoginSectionProps): JSX.Element {
  const { model, site, trans } = props;
  const login = site.login;
  const busy =
    model.isPending(site.name, 'login') || model.isPending(site.name, 'logout');

  const logIn = async () => {
    const state = await model.login(site.name);
    if (state?.status === 'pending' && state.flow === 'code') {
      openLoginPopup(state.authorizationUrl);
    }
  };
  const logOut = () => void model.logout(site.name);

  switch (login.status) {
    case 'not-required':
      return (
        <div className="jp-DaskSites-login">
          <span className="jp-DaskSites-muted">
            {trans.__('No login needed')}
          </span>
        </div>
      );
    case 'logged-in':
      return (
        <div className="jp-DaskSites-login">
          <LoggedIn login={login} trans={trans} />
          <Button
            small
            disabled={busy}
            onClick={logOut}
            title={trans.__('Log out of %1', site.label)}
          >
            {model.isPending(site.name, 'logout')
              ? trans.__('Logging out…')
              : trans.__('Log out')}
          </Button>
        </div>
      );
    case 'pending':
      return (
        <PendingLogin
          login={login}
          site={site}
          trans={trans}
          busy={busy}
          onCancel={logOut}
          onRetry={logIn}
        />
      );
    default:
      return (
        <div className="jp-DaskSites-login">
          <span className="jp-DaskSites-muted">
            {login.status === 'login-needed'
              ? trans.__('Login needed: %1', login.reason)
              : login.status === 'logged-out' && login.reason
                ? login.reason
                : trans.__('Not logged in')}
          </span>
          <Button
            small
            className="jp-DaskSites-primary"
            disabled={busy}
            onClick={logIn}
            title={trans.__('Log in to %1', site.label)}
          >
            {model.isPending(site.name, 'login')
              ? trans.__('Starting…')
              : login.status === 'login-needed'
                ? trans.__('Log in again')
                : trans.__('Log in')}
          </Button>
        </div>
      );
  }
}

function LoggedIn(props: {
  login: Extract<LoginState, { status: 'logged-in' }>;
  trans: TranslationBundle;
}): JSX.Element {
  const { login, trans } = props;
  const now = useNow(60_000);
  const ends = login.sessionExpiresAt;
  return (
    <span
      className="jp-DaskSites-who"
      title={trans.__(
        'Access token valid until %1; renewed automatically',
        formatClock(login.accessExpiresAt)
      )}
    >
      {trans.__('Logged in as')} <strong>{login.user}</strong>
      {ends !== undefined && (
        <span
          className="jp-DaskSites-muted"
          title={trans.__('The login ends at %1', formatClock(ends))}
        >
          {' · '}
          {ends > now
            ? trans.__('session ends in %1', formatDuration(ends - now, trans))
            : trans.__('session ended')}
        </span>
      )}
    </span>
  );
}

function PendingLogin(props: {
  login: Extract<LoginState, { status: 'pending' }>;
  site: ISiteState;
  trans: TranslationBundle;
  busy: boolean;
  onCancel: () => void;
  onRetry: () => void;
}): JSX.Element {
  const { login, site, trans } = props;
  const now = useNow(1_000);
  const left = login.expiresAt - now;
  const expired = left <= 0;

  const cancel = (
    <Button
      small
      disabled={props.busy}
      onClick={props.onCancel}
      title={trans.__('Cancel the login to %1', site.label)}
    >
      {trans.__('Cancel')}
    </Button>
  );
  const waiting = expired ? (
    <p className="jp-DaskSites-muted">
      {trans.__('The login request expired.')}{' '}
      <Button small disabled={props.busy} onClick={props.onRetry}>
        {trans.__('Start again')}
      </Button>
    </p>
  ) : (
    <p className="jp-DaskSites-waiting" role="status" aria-live="polite">
      <span className="jp-DaskSites-pulse" aria-hidden="true" />
      {trans.__(
        'Waiting for you to log in… (expires in %1)',
        formatCountdown(left)
      )}
    </p>
  );

  if (login.flow === 'code') {
    return (
      <div className="jp-DaskSites-pendingLogin">
        <p>{trans.__('Log in to %1 in the login window.', site.label)}</p>
        <div className="jp-DaskSites-row">
          <Button
            small
            className="jp-DaskSites-primary"
            disabled={expired}
            onClick={() => openLoginPopup(login.authorizationUrl)}
            title={trans.__('Open the login page again')}
          >
            {trans.__('Open login page')}
          </Button>
          {cancel}
        </div>
        {waiting}
      </div>
    );
  }
  const link = login.verificationUriComplete ?? login.verificationUri;
  return (
    <div className="jp-DaskSites-pendingLogin">
      <p>
        {trans.__('Open')}{' '}
        <a href={link} target="_blank" rel="noopener noreferrer">
          {login.verificationUri}
        </a>{' '}
        {trans.__('and enter this code:')}
      </p>
      <div className="jp-DaskSites-row">
        <code
          className="jp-DaskSites-userCode"
          aria-label={trans.__('Login code')}
        >
          {login.userCode}
        </code>
        <CopyButton text={login.userCode} trans={trans} />
        {cancel}
      </div>
      {waiting}
    </div>
  );
}

function CopyButton(props: {
  text: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [copied, setCopied] = React.useState(false);
  React.useEffect(() => {
    if (!copied) {
      return;
    }
    const timer = setTimeout(() => setCopied(false), 2_000);
    return () => clearTimeout(timer);
  }, [copied]);
  const label = copied ? trans.__('Copied') : trans.__('Copy the code');
  return (
    <Button
      small
      minimal
      aria-label={label}
      title={label}
      onClick={() => {
        Clipboard.copyToSystem(props.text);
        setCopied(true);
      }}
    >
      {copied ? <checkIcon.react tag="span" /> : <copyIcon.react tag="span" />}
    </Button>
  );
}
