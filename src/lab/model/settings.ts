/**
 * The plugin's user settings (`schema/plugin.json`) as the panel uses them.
 */
import type { ISettingRegistry } from '@jupyterlab/settingregistry';

export interface IPanelSettings {
  /** Ask before stopping a cluster. */
  confirmStop: boolean;
  /** Workers the "new cluster" form proposes (scaled to once the cluster runs). */
  defaultWorkers: number;
  /** Show the cluster options' field names next to their labels. */
  showOptionFields: boolean;
  /** Mark tagged code cells with a coloured badge (and routed ones with a discreet one). */
  showBadges: boolean;
}

export const DEFAULT_SETTINGS: Readonly<IPanelSettings> = {
  confirmStop: true,
  defaultWorkers: 1,
  showOptionFields: false,
  showBadges: true
};

/** Read the settings, falling back to the defaults for anything missing or odd. */
export function readSettings(
  settings: ISettingRegistry.ISettings | null
): IPanelSettings {
  const get = (key: keyof IPanelSettings): unknown =>
    settings ? settings.get(key).composite : undefined;
  const confirmStop = get('confirmStop');
  const defaultWorkers = get('defaultWorkers');
  const showOptionFields = get('showOptionFields');
  const showBadges = get('showBadges');
  return {
    confirmStop:
      typeof confirmStop === 'boolean'
        ? confirmStop
        : DEFAULT_SETTINGS.confirmStop,
    defaultWorkers:
      typeof defaultWorkers === 'number' &&
      Number.isInteger(defaultWorkers) &&
      defaultWorkers >= 0
        ? defaultWorkers
        : DEFAULT_SETTINGS.defaultWorkers,
    showOptionFields:
      typeof showOptionFields === 'boolean'
        ? showOptionFields
        : DEFAULT_SETTINGS.showOptionFields,
    showBadges:
      typeof showBadges === 'boolean' ? showBadges : DEFAULT_SETTINGS.showBadges
  };
}
