/** A cluster's display name, renamed in place (Enter saves, Escape cancels). */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, editIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

export interface IClusterNameProps {
  name: string;
  /** The gateway's id, shown as a tooltip. */
  id: string;
  trans: TranslationBundle;
  busy: boolean;
  onRename: (displayName: string) => void;
}

export const MAX_NAME_LENGTH = 64;

export function ClusterName(props: IClusterNameProps): JSX.Element {
  const { trans } = props;
  const [editing, setEditing] = React.useState(false);
  const [value, setValue] = React.useState(props.name);
  const input = React.useRef<HTMLInputElement>(null);

  React.useEffect(() => {
    if (editing) {
      input.current?.focus();
      input.current?.select();
    }
  }, [editing]);

  const trimmed = value.trim();
  const invalid = !trimmed || trimmed.length > MAX_NAME_LENGTH;

  const save = () => {
    setEditing(false);
    if (!invalid && trimmed !== props.name) {
      props.onRename(trimmed);
    }
  };

  if (editing) {
    return (
      <input
        ref={input}
        className="jp-DaskSites-nameInput jp-mod-styled"
        value={value}
        maxLength={MAX_NAME_LENGTH}
        aria-label={trans.__('Cluster name')}
        aria-invalid={invalid}
        onChange={e => setValue(e.target.value)}
        onBlur={save}
        onKeyDown={e => {
          if (e.key === 'Enter') {
            e.preventDefault();
            save();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            setValue(props.name);
            setEditing(false);
          }
        }}
      />
    );
  }
  return (
    <span className="jp-DaskSites-name">
      <span className="jp-DaskSites-nameText" title={props.id}>
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
