/**
 * Open any Dask dashboard address in a pane (a LocalCluster's, a colleague's
 * cluster): the bottom of the panel. The address is checked here, inline,
 * before the command opens it.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../commands';
import { checkDashboardUrl } from '../dashboards/external-url';

export interface IOtherDashboardProps {
  commands: CommandRegistry;
  trans: TranslationBundle;
}

export function OtherDashboard(props: IOtherDashboardProps): JSX.Element {
  const { commands, trans } = props;
  const [text, setText] = React.useState('');
  const [problem, setProblem] = React.useState<string>();
  const id = `jp-DaskSites-otherDashboard${React.useId()}`;

  const open = async (e: React.FormEvent) => {
    e.preventDefault();
    const checked = checkDashboardUrl(text, trans);
    if ('error' in checked) {
      setProblem(checked.error);
      return;
    }
    setProblem(undefined);
    try {
      await commands.execute(CommandIDs.openDashboardUrl, {
        url: checked.url
      });
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <details className="jp-DaskSites-otherDashboard">
      <summary>{trans.__('Open another dashboard')}</summary>
      <form
        className="jp-DaskSites-row"
        onSubmit={e => void open(e)}
        noValidate
        aria-label={trans.__('Open another dashboard')}
      >
        <input
          id={`${id}-url`}
          className="jp-mod-styled jp-DaskSites-urlInput"
          type="text"
          inputMode="url"
          value={text}
          placeholder={trans.__('http://127.0.0.1:8787/status')}
          aria-label={trans.__('Dashboard address')}
          aria-invalid={!!problem}
          aria-describedby={problem ? `${id}-problem` : undefined}
          title={trans.__(
            "Any Dask dashboard's address, e.g. a LocalCluster's (http://127.0.0.1:8787/status) or one on this server (/proxy/8787/status)"
          )}
          onChange={e => {
            setText(e.target.value);
            setProblem(undefined);
          }}
        />
        <Button small type="submit" title={trans.__('Open it in a pane')}>
          {trans.__('Open')}
        </Button>
      </form>
      {problem && (
        <p
          id={`${id}-problem`}
          className="jp-DaskSites-fieldError"
          role="alert"
        >
          {problem}
        </p>
      )}
    </details>
  );
}
