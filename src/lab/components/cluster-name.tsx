/** A cluster's display name, renamed in place (Enter saves, Escape cancels). */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, editIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { checkDisplayName } from '../model/cluster-options';

export interface IClusterNameProps {
  name: string;
  /** The gateway's id, shown as a tooltip. */
  id: string;
  trans: TranslationBundle;
  busy: boolean;
  onRename: (displayName: string) => void;
}

export function ClusterName(props: IClusterNameProps): JSX.Element {
  const { trans } = props;
  const [editing, setEditing] = React.useState(false);
  const [value, setValue] = React.useState(props.name);
  // Shown once the user tries to save: a bad name is never cut or dropped silently.
  const [problem, setProblem] = React.useState<string>();
  const input = React.useRef<HTMLInputElement>(null);
  const errorId = `${React.useId()}-error`;

  React.useEffect(() => {
    if (editing) {
      input.current?.focus();
      input.current?.select();
    }
  }, [editing]);

  const save = () => {
    const checked = checkDisplayName(value, trans);
    if ('error' in checked) {
      setProblem(checked.error); // stay in the input, saying why
      return;
    }
    setProblem(undefined);
    setEditing(false);
    if (checked.value !== props.name) {
      props.onRename(checked.value!);
    }
  };
  const cancel = () => {
    setProblem(undefined);
    setValue(props.name);
    setEditing(false);
  };

  if (editing) {
    return (
      <span className="jp-DaskSites-nameEdit">
        <input
          ref={input}
          className="jp-DaskSites-nameInput jp-mod-styled"
          value={value}
          aria-label={trans.__('Cluster name')}
          aria-invalid={!!problem}
          aria-describedby={problem ? errorId : undefined}
          onChange={e => {
            setValue(e.target.value);
            setProblem(undefined);
          }}
          onBlur={save}
          onKeyDown={e => {
            if (e.key === 'Enter') {
              e.preventDefault();
              save();
            } else if (e.key === 'Escape') {
              e.preventDefault();
              cancel();
            }
          }}
        />
        {problem && (
          <span id={errorId} className="jp-DaskSites-fieldError" role="alert">
            {problem}
          </span>
        )}
      </span>
    );
  }
  return (
    <span className="jp-DaskSites-name">
      <span
        className="jp-DaskSites-nameText"
        title={trans.__('%1 (cluster %2)', props.name, props.id)}
      >
        {props.name}
      </span>
      <Button
        small
        minimal
        disabled={props.busy}
        aria-label={trans.__('Rename cluster %1', props.name)}
        title={
          props.busy
            ? trans.__('Wait for the current action to finish')
            : trans.__('Rename')
        }
        onClick={() => {
          setValue(props.name);
          setEditing(true);
        }}
      >
        <editIcon.react tag="span" />
      </Button>
    </span>
  );
}
