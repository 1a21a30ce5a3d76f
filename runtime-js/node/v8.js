// node:v8: importable (Koa reads `startupSnapshot`); heap statistics read
// as zeros, since an app does not see the engine; serialization and flags
// throw.
import { unsupported } from "node:_errors";

const WHY = "an app cannot reach the engine";

export function getHeapStatistics() {
  return {
    total_heap_size: 0, total_heap_size_executable: 0, total_physical_size: 0,
    total_available_size: 0, used_heap_size: 0, heap_size_limit: 0, malloced_memory: 0,
    peak_malloced_memory: 0, does_zap_garbage: 0, number_of_native_contexts: 1,
    number_of_detached_contexts: 0, total_global_handles_size: 0, used_global_handles_size: 0,
    external_memory: 0,
  };
}
export const getHeapSpaceStatistics = () => [];
export const getHeapCodeStatistics = () => ({ code_and_metadata_size: 0, bytecode_and_metadata_size: 0, external_script_source_size: 0, cpu_profiler_metadata_size: 0 });
export const cachedDataVersionTag = () => 0;
export const setFlagsFromString = unsupported("v8", "setFlagsFromString", WHY);
export const serialize = unsupported("v8", "serialize", WHY);
export const deserialize = unsupported("v8", "deserialize", WHY);
export const writeHeapSnapshot = unsupported("v8", "writeHeapSnapshot", WHY);
export const getHeapSnapshot = unsupported("v8", "getHeapSnapshot", WHY);
/** An app is never being built into a snapshot. */
export const startupSnapshot = {
  isBuildingSnapshot: () => false,
  addSerializeCallback: () => {},
  addDeserializeCallback: () => {},
  setDeserializeMainFunction: () => {},
};

export default {
  getHeapStatistics, getHeapSpaceStatistics, getHeapCodeStatistics, cachedDataVersionTag, setFlagsFromString,
  serialize, deserialize, writeHeapSnapshot, getHeapSnapshot, startupSnapshot,
};
