/** Dask Gateway REST client for one site, its errors, option checks and display names. */
export {
  GatewayClient,
  type IClusterConnection,
  type IGatewayClientOptions,
  type IGatewayHealth,
  type IScaleResult
} from './client';
export type { IWaitOptions } from './cluster-start';
export { proxyAddressFor } from './proxy-address';
export {
  isActive,
  isUp,
  isGatewayCluster,
  toClusterInfo,
  type IClusterInfoExtras,
  type IGatewayCluster
} from './cluster-info';
export {
  GatewayError,
  isGatewayError,
  redact,
  shortCluster,
  type GatewayErrorKind
} from './errors';
export type { AuthorizationHeader, FetchLike } from './http';
export {
  cleanDisplayName,
  defaultDisplayName,
  DisplayNames,
  MAX_DISPLAY_NAME_LENGTH,
  type DisplayNamesDocument
} from './names';
export {
  validateOptions,
  type OptionsResult,
  type OptionValues
} from './options';
