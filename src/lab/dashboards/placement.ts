/**
 * Where a new dashboard pane goes: beside the current dashboard pane when
 * it shows another cluster (two sites side by side), as a tab next to it
 * when it shows the same cluster; `mode` from the command wins.
 */
import type { DockLayout, Widget } from '@lumino/widgets';

/** What `app.shell.add(widget, 'main', options)` accepts. */
export type PaneMode = DockLayout.InsertMode;

const MODES: readonly PaneMode[] = [
  'split-right',
  'split-left',
  'split-top',
  'split-bottom',
  'tab-before',
  'tab-after'
];

interface IPaneLike extends Widget {
  readonly site: string;
  readonly cluster: string;
}

export interface IPlacement {
  ref?: string;
  mode?: PaneMode;
  activate?: boolean;
}

/** Options for `shell.add` of `pane` among the panes of `tracker`. */
export function placeNewPane(
  pane: IPaneLike,
  tracker: { currentWidget: IPaneLike | null },
  mode?: string
): IPlacement {
  const current = tracker.currentWidget;
  const ref =
    current && current !== pane && !current.isDisposed ? current : null;
  const chosen = MODES.find(m => m === mode);
  if (chosen) {
    return ref ? { ref: ref.id, mode: chosen } : { mode: chosen };
  }
  if (!ref || !ref.isAttached) {
    return {};
  }
  const sameCluster = ref.site === pane.site && ref.cluster === pane.cluster;
  return { ref: ref.id, mode: sameCluster ? 'tab-after' : 'split-right' };
}
