/** Second line of defence: stop the hub's testbed even if hub_testbed.py could not. */
import { stopTestbed } from '../global-teardown';

export default function globalTeardown(): void {
  stopTestbed(process.env.DASK_SITES_UI_HUB_STATE_DIR!);
}
