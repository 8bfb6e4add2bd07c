/** A failed action on a card: what failed, the server's message, and the fix. */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, closeIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IActionError, SiteAction } from '../model/actions';

export interface IErrorNoteProps {
  error: IActionError;
  trans: TranslationBundle;
  onDismiss?: () => void;
  /** Shown when logging in again is the fix. */
  onLogin?: () => void;
}

export function ErrorNote(props: IErrorNoteProps): JSX.Element {
  const { error, trans } = props;
  return (
    <div className="jp-DaskSites-error" role="alert">
      <div className="jp-DaskSites-errorText">
        <strong>{failedWhat(error.action, trans)}</strong> {error.message}
      </div>
      <div className="jp-DaskSites-errorActions">
        {error.needsLogin && props.onLogin && (
          <Button small onClick={props.onLogin}>
            {trans.__('Log in again')}
          </Button>
        )}
        {props.onDismiss && (
          <Button
            small
            minimal
            aria-label={trans.__('Dismiss this message')}
            title={trans.__('Dismiss this message')}
            onClick={props.onDismiss}
          >
            <closeIcon.react tag="span" />
          </Button>
        )}
      </div>
    </div>
  );
}

function failedWhat(action: SiteAction, trans: TranslationBundle): string {
  switch (action) {
    case 'refresh':
      return trans.__('Loading the sites failed:');
    case 'login':
      return trans.__('Logging in failed:');
    case 'logout':
      return trans.__('Logging out failed:');
    case 'options':
      return trans.__('Loading the cluster options failed:');
    case 'create':
      return trans.__('Creating the cluster failed:');
    case 'rename':
      return trans.__('Renaming failed:');
    case 'scale':
      return trans.__('Scaling failed:');
    case 'adapt':
      return trans.__('Adaptive scaling failed:');
    case 'stop':
      return trans.__('Stopping failed:');
    case 'choose':
      return trans.__('Choosing the cluster for kernels failed:');
  }
}
