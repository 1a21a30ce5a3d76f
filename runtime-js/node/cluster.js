// node:cluster: an app is always the primary and has no workers; forking
// throws (the server runs as many isolates as the app's config asks).
import { unsupported } from "node:_errors";
import { EventEmitter } from "node:events";

const cluster = new EventEmitter();
cluster.isPrimary = true;
cluster.isMaster = true;
cluster.isWorker = false;
cluster.workers = {};
cluster.settings = {};
cluster.SCHED_NONE = 1;
cluster.SCHED_RR = 2;
cluster.schedulingPolicy = 2;
cluster.setupPrimary = () => {};
cluster.setupMaster = () => {};
cluster.disconnect = (callback) => {
  if (typeof callback === "function") queueMicrotask(callback);
};
cluster.fork = unsupported("cluster", "fork", "set \"instances\" in the app's config instead");

export const { isPrimary, isMaster, isWorker, workers, settings, SCHED_NONE, SCHED_RR, setupPrimary, setupMaster, disconnect, fork } = cluster;
export default cluster;
