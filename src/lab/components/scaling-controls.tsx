/** Scale a cluster to a number of workers, or let it adapt between two bounds. */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IClusterInfo } from '../../protocol';
import { checkCount } from '../model/cluster-options';
import { WorkerCountInput } from './worker-count-input';

export interface IScalingControlsProps {
  cluster: IClusterInfo;
  trans: TranslationBundle;
  /** Why scaling is not possible now (shown as the tooltip), or undefined. */
  disabledReason?: string;
  scaling: boolean;
  adapting: boolean;
  onScale: (count: number) => void;
  onAdapt: (minimum: number, maximum: number) => void;
}

export function ScalingControls(props: IScalingControlsProps): JSX.Element {
  const { cluster, trans, disabledReason } = props;
  // Unique per instance: the panel and notebook widgets may show one cluster twice.
  const id = `jp-DaskSites-${cluster.name}${React.useId()}`;
  // Until the user types, the inputs follow the cluster's live figures.
  const [countInput, setCount] = React.useState<string>();
  const [minInput, setMinimum] = React.useState<string>();
  const [maxInput, setMaximum] = React.useState<string>();
  const count = countInput ?? String(cluster.live?.workers ?? 0);
  const minimum = minInput ?? String(cluster.adaptive?.minimum ?? 1);
  const maximum =
    maxInput ??
    String(
      cluster.adaptive?.maximum ?? Math.max(4, cluster.live?.workers ?? 0)
    );
  const [problem, setProblem] = React.useState<string>();

  const scale = (e: React.FormEvent) => {
    e.preventDefault();
    const checked = checkCount(count, trans);
    if ('error' in checked) {
      setProblem(trans.__('Workers: %1', checked.error));
      return;
    }
    setProblem(undefined);
    props.onScale(checked.value);
  };
  const adapt = (e: React.FormEvent) => {
    e.preventDefault();
    const lo = checkCount(minimum, trans);
    const hi = checkCount(maximum, trans);
    if ('error' in lo) {
      setProblem(trans.__('Minimum: %1', lo.error));
      return;
    }
    if ('error' in hi) {
      setProblem(trans.__('Maximum: %1', hi.error));
      return;
    }
    if (lo.value > hi.value) {
      setProblem(trans.__('The minimum must not exceed the maximum'));
      return;
    }
    setProblem(undefined);
    props.onAdapt(lo.value, hi.value);
  };
  const disabled = disabledReason !== undefined;

  return (
    <div className="jp-DaskSites-scaling">
      <form className="jp-DaskSites-scaleForm" onSubmit={scale}>
        <label htmlFor={`${id}-count`}>{trans.__('Workers')}</label>
        <span className="jp-DaskSites-inputs">
          <WorkerCountInput
            id={`${id}-count`}
            value={count}
            disabled={disabled}
            title={disabledReason}
            onValue={setCount}
          />
        </span>
        <Button
          small
          type="submit"
          disabled={disabled || props.scaling}
          title={disabledReason ?? trans.__('Scale to this many workers')}
        >
          {props.scaling ? trans.__('Scaling…') : trans.__('Scale')}
        </Button>
      </form>
      <form className="jp-DaskSites-scaleForm" onSubmit={adapt}>
        <label htmlFor={`${id}-min`}>{trans.__('Adaptive')}</label>
        <span className="jp-DaskSites-inputs">
          <WorkerCountInput
            id={`${id}-min`}
            value={minimum}
            disabled={disabled}
            aria-label={trans.__('Minimum workers')}
            title={disabledReason ?? trans.__('Minimum workers')}
            onValue={setMinimum}
          />
          <span aria-hidden="true">–</span>
          <WorkerCountInput
            id={`${id}-max`}
            value={maximum}
            disabled={disabled}
            aria-label={trans.__('Maximum workers')}
            title={disabledReason ?? trans.__('Maximum workers')}
            onValue={setMaximum}
          />
        </span>
        <Button
          small
          type="submit"
          disabled={disabled || props.adapting}
          title={
            disabledReason ??
            trans.__(
              'Let the cluster add and remove workers within these bounds'
            )
          }
        >
          {props.adapting ? trans.__('Adapting…') : trans.__('Adapt')}
        </Button>
      </form>
      {problem && (
        <p className="jp-DaskSites-fieldError" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
