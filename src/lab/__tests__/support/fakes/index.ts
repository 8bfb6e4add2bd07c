/** The Lab tests' fakes, one file each. */
export { FakeFetch, json, type IRecorded } from './fetch';
export { FakeKernel } from './kernel';
export { FakeMetadataModel } from './metadata-model';
export { cluster, site } from './sidecar-state';
export { FakeWebSocket } from './web-socket';
