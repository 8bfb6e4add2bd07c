/**
 * A site's login: who is logged in and until when, or the steps of a
 * pending device or code flow, with log in / log out / cancel.
 */
import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, checkIcon, copyIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ISiteState, LoginState } from '../../protocol';
import { listLabels, loginGroup } from '../model/login-group';
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
  // Logging out of one site logs out of every site sharing its login: say so first.
  const group = loginGroup(model.sites, site);
  const covered = listLabels(group, trans.__('and'));
  const logOut = async () => {
    if (group.length > 1) {
      const result = await showDialog({
        title: trans.__('Log out of %1 sites?', group.length),
        body: trans.__(
          '%1 share one login, so logging out of %2 logs out of all of them. Their clusters keep running: the panel lists them as last seen until you log in again.',
          covered,
          site.label
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Stay logged in') }),
          Dialog.warnButton({ label: trans.__('Log out of all') })
        ]
      });
      if (!result.button.accept) {
        return;
      }
    }
    await model.logout(site.name);
  };
  const cancel = () => void model.logout(site.name);

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
            onClick={() => void logOut()}
            title={trans.__('Log out of %1', covered)}
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
          group={group}
          trans={trans}
          busy={busy}
          onCancel={cancel}
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
  /** The sites this login is for (see `loginGroup`). */
  group: readonly ISiteState[];
  trans: TranslationBundle;
  busy: boolean;
  onCancel: () => void;
  onRetry: () => void;
}): JSX.Element {
  const { login, site, group, trans } = props;
  const now = useNow(1_000);
  const left = login.expiresAt - now;
  const expired = left <= 0;

  const covered = listLabels(group, trans.__('and'));
  const cancel = (
    <Button
      small
      disabled={props.busy}
      onClick={props.onCancel}
      title={trans.__('Cancel the login to %1', covered)}
    >
      {trans.__('Cancel')}
    </Button>
  );
  // One login, shown once: on the first card of the sites it is for.
  const shownAt = group[0];
  if (shownAt && shownAt.name !== site.name) {
    return (
      <div className="jp-DaskSites-pendingLogin jp-mod-shared">
        <p className="jp-DaskSites-muted" role="status">
          {trans.__(
            'Logging in with the login shown at %1 (one login for %2).',
            shownAt.label,
            covered
          )}
        </p>
      </div>
    );
  }
  const forSites =
    group.length > 1 ? (
      <p className="jp-DaskSites-loginFor">
        {trans.__('One login for %1.', covered)}
      </p>
    ) : null;
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
        <p>{trans.__('Log in to %1 in the login window.', covered)}</p>
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
      {forSites}
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
