/**
 * "New cluster": a form generated from the site's option spec (limits and
 * defaults from the gateway and the site), checked before it is sent, with
 * progress while the cluster starts.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IClusterOptionSpec, ISiteState } from '../../protocol';
import {
  boundsOf,
  checkCount,
  checkDisplayName,
  checkOptions,
  initialValues,
  type FormValue,
  type FormValues
} from '../model/cluster-options';
import type { SitesModel } from '../model/sites-model';
import { ErrorNote } from './error-note';
import { formatDuration } from './format';
import { useNow } from './hooks';
import { WorkerCountInput } from './worker-count-input';

export interface INewClusterFormProps {
  model: SitesModel;
  site: ISiteState;
  trans: TranslationBundle;
  onDone: () => void;
}

export function NewClusterForm(props: INewClusterFormProps): JSX.Element {
  const { model, site, trans } = props;
  const state = model.optionsState(site.name);

  React.useEffect(() => {
    void model.loadOptions(site.name);
  }, [model, site.name]);

  if (!state || state.status === 'loading') {
    return (
      <div className="jp-DaskSites-form" role="status">
        {trans.__('Loading the cluster options of %1…', site.label)}
      </div>
    );
  }
  if (state.status === 'error') {
    return (
      <div className="jp-DaskSites-form">
        <ErrorNote error={state.error} trans={trans} />
        <div className="jp-DaskSites-row">
          <Button small onClick={() => void model.loadOptions(site.name, true)}>
            {trans.__('Try again')}
          </Button>
          <Button small onClick={props.onDone}>
            {trans.__('Cancel')}
          </Button>
        </div>
      </div>
    );
  }
  return <OptionsForm {...props} specs={state.options} />;
}

function OptionsForm(
  props: INewClusterFormProps & { specs: IClusterOptionSpec[] }
): JSX.Element {
  const { model, site, trans, specs } = props;
  const [values, setValues] = React.useState<FormValues>(() =>
    initialValues(specs)
  );
  const [displayName, setDisplayName] = React.useState('');
  const [workers, setWorkers] = React.useState(
    String(model.settings.defaultWorkers)
  );
  const [errors, setErrors] = React.useState<{ [field: string]: string }>({});
  const [startedAt, setStartedAt] = React.useState<number>();
  const creating = model.isPending(site.name, 'create');
  const idBase = `jp-DaskSites-new-${site.name}${React.useId()}`;

  const set = (field: string, value: FormValue) =>
    setValues(v => ({ ...v, [field]: value }));

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const checked = checkOptions(specs, values, trans);
    const count = checkCount(workers, trans);
    const name = checkDisplayName(displayName, trans, true);
    const problems = checked.ok ? {} : { ...checked.errors };
    if ('error' in count) {
      problems['__workers'] = count.error;
    }
    if ('error' in name) {
      problems['__name'] = name.error;
    }
    setErrors(problems);
    if (!checked.ok || 'error' in count || 'error' in name) {
      return;
    }
    setStartedAt(Date.now());
    const info = await model.createCluster(site.name, {
      options: checked.values,
      ...(name.value ? { displayName: name.value } : {}),
      workers: count.value
    });
    setStartedAt(undefined);
    if (info) {
      props.onDone();
    }
  };

  return (
    <form
      className="jp-DaskSites-form"
      aria-label={trans.__('New cluster at %1', site.label)}
      onSubmit={e => void submit(e)}
      noValidate
    >
      <Field
        id={`${idBase}-name`}
        label={trans.__('Name')}
        hint={trans.__('optional')}
        error={errors['__name']}
      >
        <input
          id={`${idBase}-name`}
          className="jp-mod-styled"
          value={displayName}
          placeholder={trans.__('e.g. flood analysis')}
          disabled={creating}
          aria-invalid={!!errors['__name']}
          aria-describedby={
            errors['__name'] ? `${idBase}-name-error` : undefined
          }
          onChange={e => setDisplayName(e.target.value)}
        />
      </Field>
      {specs.map(option => (
        <OptionField
          key={option.field}
          id={`${idBase}-${option.field}`}
          option={option}
          value={values[option.field]}
          error={errors[option.field]}
          disabled={creating}
          showField={model.settings.showOptionFields}
          trans={trans}
          onChange={value => set(option.field, value)}
        />
      ))}
      <Field
        id={`${idBase}-workers`}
        label={trans.__('Workers')}
        hint={trans.__('started once the cluster runs')}
        error={errors['__workers']}
      >
        <WorkerCountInput
          id={`${idBase}-workers`}
          value={workers}
          disabled={creating}
          aria-invalid={!!errors['__workers']}
          aria-describedby={
            errors['__workers'] ? `${idBase}-workers-error` : undefined
          }
          onValue={setWorkers}
        />
      </Field>
      {creating && startedAt !== undefined && (
        <Progress since={startedAt} site={site} trans={trans} />
      )}
      <div className="jp-DaskSites-row">
        <Button
          type="submit"
          small
          className="jp-DaskSites-primary"
          disabled={creating}
          title={creating ? trans.__('The cluster is starting') : undefined}
        >
          {creating ? trans.__('Starting…') : trans.__('Create')}
        </Button>
        <Button small disabled={creating} onClick={props.onDone}>
          {trans.__('Cancel')}
        </Button>
      </div>
    </form>
  );
}

function Progress(props: {
  since: number;
  site: ISiteState;
  trans: TranslationBundle;
}): JSX.Element {
  const { site, trans } = props;
  const now = useNow(1_000);
  const starting = site.clusters.find(c => c.status === 'PENDING');
  return (
    <p className="jp-DaskSites-waiting" role="status" aria-live="polite">
      <span className="jp-DaskSites-pulse" aria-hidden="true" />
      {starting
        ? trans.__(
            'Cluster %1 is starting at %2… %3',
            starting.displayName,
            site.label,
            formatDuration(now - props.since, trans)
          )
        : trans.__(
            'Asking %1 for a cluster… %2',
            site.label,
            formatDuration(now - props.since, trans)
          )}
    </p>
  );
}

function Field(props: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <div className="jp-DaskSites-field">
      <label htmlFor={props.id}>
        {props.label}
        {props.hint && (
          <span className="jp-DaskSites-muted"> ({props.hint})</span>
        )}
      </label>
      {props.children}
      {props.error && (
        <span
          id={`${props.id}-error`}
          className="jp-DaskSites-fieldError"
          role="alert"
        >
          {props.error}
        </span>
      )}
    </div>
  );
}

function OptionField(props: {
  id: string;
  option: IClusterOptionSpec;
  value: FormValue | undefined;
  error?: string;
  disabled: boolean;
  showField: boolean;
  trans: TranslationBundle;
  onChange: (value: FormValue) => void;
}): JSX.Element {
  const { id, option, trans } = props;
  const spec = option.spec;
  const common = {
    id,
    disabled: props.disabled,
    'aria-invalid': !!props.error,
    'aria-describedby': props.error ? `${id}-error` : undefined
  };
  const label = props.showField
    ? `${option.label || option.field} (${option.field})`
    : option.label || option.field;

  if (spec.type === 'bool') {
    return (
      <div className="jp-DaskSites-field jp-DaskSites-check">
        <input
          {...common}
          type="checkbox"
          checked={props.value === true}
          onChange={e => props.onChange(e.target.checked)}
        />
        <label htmlFor={id}>{label}</label>
      </div>
    );
  }
  let input: JSX.Element;
  let hint: string | undefined;
  if (spec.type === 'select') {
    input = (
      <select
        {...common}
        className="jp-mod-styled"
        value={String(props.value ?? '')}
        onChange={e => props.onChange(e.target.value)}
      >
        {spec.options.map(choice => (
          <option key={choice} value={choice}>
            {choice}
          </option>
        ))}
      </select>
    );
  } else if (spec.type === 'int' || spec.type === 'float') {
    const { min, max } = boundsOf(option);
    hint =
      min !== undefined && max !== undefined
        ? trans.__('%1 to %2', min, max)
        : min !== undefined
          ? trans.__('at least %1', min)
          : max !== undefined
            ? trans.__('at most %1', max)
            : undefined;
    input = (
      <input
        {...common}
        className="jp-mod-styled jp-DaskSites-number"
        type="number"
        min={min}
        max={max}
        step={spec.type === 'int' ? 1 : 'any'}
        value={String(props.value ?? '')}
        onChange={e => props.onChange(e.target.value)}
      />
    );
  } else if (spec.type === 'mapping') {
    hint = trans.__('JSON object');
    input = (
      <textarea
        {...common}
        className="jp-mod-styled"
        rows={3}
        value={String(props.value ?? '')}
        onChange={e => props.onChange(e.target.value)}
      />
    );
  } else {
    input = (
      <input
        {...common}
        className="jp-mod-styled"
        value={String(props.value ?? '')}
        onChange={e => props.onChange(e.target.value)}
      />
    );
  }
  return (
    <Field id={id} label={label} hint={hint} error={props.error}>
      {input}
    </Field>
  );
}
