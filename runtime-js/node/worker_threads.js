// node:worker_threads: an app is its isolate's main (and only) thread;
// message channels are the Web ones; starting a Worker throws.
import { unsupportedClass } from "node:_errors";

export const isMainThread = true;
export const parentPort = null;
export const workerData = null;
export const threadId = 0;
export const resourceLimits = {};
export const SHARE_ENV = Symbol.for("nodejs.worker_threads.SHARE_ENV");
export const Worker = unsupportedClass("worker_threads", "Worker", "an app runs in one isolate on one thread");
export const { MessageChannel, MessagePort, BroadcastChannel } = globalThis;

const environment = new Map();
export const getEnvironmentData = (key) => environment.get(key);
export const setEnvironmentData = (key, value) => {
  if (value === undefined) environment.delete(key);
  else environment.set(key, value);
};
export const markAsUntransferable = () => {};
export const isMarkedAsUntransferable = () => false;
export const moveMessagePortToContext = (port) => port;
export const receiveMessageOnPort = () => undefined;

export default {
  isMainThread, parentPort, workerData, threadId, resourceLimits, SHARE_ENV, Worker, MessageChannel,
  MessagePort, BroadcastChannel, getEnvironmentData, setEnvironmentData, markAsUntransferable,
  isMarkedAsUntransferable, moveMessagePortToContext, receiveMessageOnPort,
};
