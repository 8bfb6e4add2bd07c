/** Live cluster figures: reading them from schedulers, polling while watched, encoding for the WebSocket. */
export {
  applyLiveMessage,
  createLiveCodec,
  LiveDecoder,
  LiveEncoder,
  liveMsgpackOptions,
  liveStreamMsgpackOptions,
  type ILiveCodec,
  type ILiveEncoderOptions,
  type LiveEncoding
} from './encoding';
export {
  parseCounts,
  parseIdentity,
  parseWorkersTable,
  SCHEDULER_GONE,
  SchedulerMetrics,
  type ClusterFigures,
  type ISchedulerMetricsOptions,
  type IWorkersTable
} from './scheduler-metrics';
export {
  LiveWatcher,
  sameFigures,
  type ILiveSubscription,
  type ILiveWatcherOptions
} from './watcher';
