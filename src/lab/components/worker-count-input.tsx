/** A number of workers, typed by the user (checked by the form that owns it). */
import * as React from 'react';

export interface IWorkerCountInputProps extends Omit<
  React.InputHTMLAttributes<HTMLInputElement>,
  'type' | 'min' | 'step' | 'className' | 'onChange' | 'value'
> {
  value: string;
  /** The text as typed: an empty or partial number is the form's to judge. */
  onValue: (value: string) => void;
}

export function WorkerCountInput(props: IWorkerCountInputProps): JSX.Element {
  const { onValue, ...rest } = props;
  return (
    <input
      {...rest}
      className="jp-mod-styled jp-DaskSites-number"
      type="number"
      min={0}
      step={1}
      onChange={e => onValue(e.target.value)}
    />
  );
}
