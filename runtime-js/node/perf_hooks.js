// node:perf_hooks: the Web `performance` (now, mark, measure, timeOrigin)
// and what Node adds around it; event-loop monitoring is not offered.
import { unsupported, unsupportedClass } from "node:_errors";

const WHY = "an app cannot watch the engine's event loop";

export const performance = globalThis.performance;
export const { PerformanceEntry, PerformanceMark, PerformanceMeasure } = globalThis;
export const PerformanceObserver = unsupportedClass("perf_hooks", "PerformanceObserver", WHY);
export const monitorEventLoopDelay = unsupported("perf_hooks", "monitorEventLoopDelay", WHY);
export const createHistogram = unsupported("perf_hooks", "createHistogram", WHY);
export const constants = {
  NODE_PERFORMANCE_GC_MAJOR: 4, NODE_PERFORMANCE_GC_MINOR: 1, NODE_PERFORMANCE_GC_INCREMENTAL: 8,
  NODE_PERFORMANCE_GC_WEAKCB: 16,
};

export default {
  performance, PerformanceEntry, PerformanceMark, PerformanceMeasure, PerformanceObserver,
  monitorEventLoopDelay, createHistogram, constants,
};
