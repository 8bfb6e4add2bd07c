/**
 * Scale a cluster to a number of workers, or let it adapt between two
 * bounds. The inputs never show a number the panel does not know: until the
 * cluster's figures arrive the Workers input is empty (and Scale waits for a
 * typed number), and the adaptive bounds are the cluster's or empty. Every
 * problem is said inline, under the form, and cleared as soon as the user
 * types again.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IClusterInfo } from '../../protocol';
import type { IActionNotice } from '../model/actions';
import { checkCount } from '../model/cluster-options';
import { WorkerCountInput } from './worker-count-input';

export interface IScalingControlsProps {
  cluster: IClusterInfo;
  trans: TranslationBundle;
  /** Why scaling is not possible now (shown as the tooltip), or undefined. */
  disabledReason?: string;
  scaling: boolean;
  adapting: boolean;
  /** The site capped the last request. */
  notice?: IActionNotice;
  onScale: (count: number) => void;
  onAdapt: (minimum: number, maximum: number) => void;
  onDismissNotice?: () => void;
}

type Field = 'count' | 'minimum' | 'maximum';

export function ScalingControls(props: IScalingControlsProps): JSX.Element {
  const { cluster, trans, disabledReason, notice } = props;
  // Unique per instance: the panel and notebook widgets may show one cluster twice.
  const id = `jp-DaskSites-${cluster.name}${React.useId()}`;
  const problemId = `${id}-problem`;
  // Until the user types, the inputs follow what the panel knows.
  const [countInput, setCount] = React.useState<string>();
  const [minInput, setMinimum] = React.useState<string>();
  const [maxInput, setMaximum] = React.useState<string>();
  const known = cluster.live?.workers;
  const count = countInput ?? (known !== undefined ? String(known) : '');
  const minimum = minInput ?? String(cluster.adaptive?.minimum ?? '');
  const maximum = maxInput ?? String(cluster.adaptive?.maximum ?? '');
  const [problem, setProblem] = React.useState<{
    field: Field;
    text: string;
  }>();

  // Typing clears what was said about the last attempt.
  const typed = (set: (value: string) => void) => (value: string) => {
    set(value);
    setProblem(undefined);
    props.onDismissNotice?.();
  };
  const scale = (e: React.FormEvent) => {
    e.preventDefault();
    const checked = checkCount(count, trans);
    if ('error' in checked) {
      setProblem({
        field: 'count',
        text: trans.__('Workers: %1', checked.error)
      });
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
      setProblem({ field: 'minimum', text: trans.__('Minimum: %1', lo.error) });
      return;
    }
    if ('error' in hi) {
      setProblem({ field: 'maximum', text: trans.__('Maximum: %1', hi.error) });
      return;
    }
    if (lo.value > hi.value) {
      setProblem({
        field: 'minimum',
        text: trans.__('The minimum must not exceed the maximum')
      });
      return;
    }
    setProblem(undefined);
    props.onAdapt(lo.value, hi.value);
  };
  const disabled = disabledReason !== undefined;
  const invalid = (field: Field) =>
    problem?.field === field
      ? { 'aria-invalid': true, 'aria-describedby': problemId }
      : {};
  const waiting = known === undefined && countInput === undefined;

  return (
    <div className="jp-DaskSites-scaling">
      {/* noValidate: the form says what is wrong inline, not the browser's bubbles. */}
      <form className="jp-DaskSites-scaleForm" onSubmit={scale} noValidate>
        <label htmlFor={`${id}-count`}>{trans.__('Workers')}</label>
        <span className="jp-DaskSites-inputs">
          <WorkerCountInput
            id={`${id}-count`}
            value={count}
            disabled={disabled}
            placeholder={waiting ? '…' : undefined}
            title={
              disabledReason ??
              (waiting
                ? trans.__(
                    "The cluster's figures have not arrived yet; type a number of workers"
                  )
                : undefined)
            }
            onValue={typed(setCount)}
            {...invalid('count')}
          />
        </span>
        <Button
          small
          type="submit"
          disabled={disabled || props.scaling || waiting}
          title={
            disabledReason ??
            (waiting
              ? trans.__('Type a number of workers first')
              : trans.__('Scale to this many workers'))
          }
        >
          {props.scaling ? trans.__('Scaling…') : trans.__('Scale')}
        </Button>
      </form>
      <form className="jp-DaskSites-scaleForm" onSubmit={adapt} noValidate>
        <label htmlFor={`${id}-min`}>{trans.__('Adaptive')}</label>
        <span className="jp-DaskSites-inputs">
          <WorkerCountInput
            id={`${id}-min`}
            value={minimum}
            disabled={disabled}
            placeholder={trans.__('min')}
            aria-label={trans.__('Minimum workers')}
            title={disabledReason ?? trans.__('Minimum workers')}
            onValue={typed(setMinimum)}
            {...invalid('minimum')}
          />
          <span aria-hidden="true">–</span>
          <WorkerCountInput
            id={`${id}-max`}
            value={maximum}
            disabled={disabled}
            placeholder={trans.__('max')}
            aria-label={trans.__('Maximum workers')}
            title={disabledReason ?? trans.__('Maximum workers')}
            onValue={typed(setMaximum)}
            {...invalid('maximum')}
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
        <p id={problemId} className="jp-DaskSites-fieldError" role="alert">
          {problem.text}
        </p>
      )}
      {notice && !problem && (
        <p className="jp-DaskSites-notice" role="status">
          {noticeText(notice, trans)}
        </p>
      )}
    </div>
  );
}

/** "Asked for 10000 workers; this site allows at most 4 per cluster, so it uses 4." */
function noticeText(notice: IActionNotice, trans: TranslationBundle): string {
  const { limit } = notice;
  if (limit.maximum === undefined) {
    return trans.__('The site changed the request: %1', limit.message);
  }
  return notice.action === 'scale'
    ? trans.__(
        'Asked for %1 workers; this site allows at most %2 per cluster, so it scales to %2.',
        notice.requested,
        limit.maximum
      )
    : trans.__(
        'Asked to adapt between %1 workers; this site allows at most %2 per cluster, so the bounds stop at %2.',
        notice.requested,
        limit.maximum
      );
}
