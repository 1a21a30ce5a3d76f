// node:util/types -- the same predicates as util.types.
import { types } from "node:util";

export const {
  isDate, isRegExp, isMap, isSet, isWeakMap, isWeakSet, isArrayBuffer, isSharedArrayBuffer, isAnyArrayBuffer,
  isArrayBufferView, isDataView, isTypedArray, isPromise, isAsyncFunction, isGeneratorFunction, isGeneratorObject,
  isNativeError, isNumberObject, isStringObject, isBooleanObject, isBigIntObject, isSymbolObject, isBoxedPrimitive,
  isMapIterator, isSetIterator, isArgumentsObject, isModuleNamespaceObject, isProxy, isExternal, isKeyObject,
  isCryptoKey, isWeakRef, isUint8Array, isUint8ClampedArray, isUint16Array, isUint32Array, isInt8Array,
  isInt16Array, isInt32Array, isFloat32Array, isFloat64Array, isBigInt64Array, isBigUint64Array,
} = types;
export default types;
