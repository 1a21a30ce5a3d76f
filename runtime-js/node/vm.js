// node:vm: code runs in the app's own context (`runInThisContext`, a
// Script's `runInThisContext`); new contexts are not offered, and say so.
import { unsupported } from "node:_errors";

const WHY = "an isolate offers no separate contexts to apps";
// Indirect eval: global scope, like Node's runInThisContext.
const evaluate = globalThis.eval;

export class Script {
  #code;

  constructor(code) {
    this.#code = String(code);
  }

  runInThisContext() {
    return evaluate(this.#code);
  }

  runInContext() {
    unsupported("vm", "Script.runInContext", WHY)();
  }

  runInNewContext() {
    unsupported("vm", "Script.runInNewContext", WHY)();
  }

  createCachedData() {
    return new Uint8Array(0);
  }
}

export const runInThisContext = (code) => evaluate(String(code));
export const isContext = () => false;
export const createContext = unsupported("vm", "createContext", WHY);
export const runInContext = unsupported("vm", "runInContext", WHY);
export const runInNewContext = unsupported("vm", "runInNewContext", WHY);
export const compileFunction = (code, params = []) => evaluate(`(function (${params.join(", ")}) {\n${code}\n})`);

export default { Script, runInThisContext, isContext, createContext, runInContext, runInNewContext, compileFunction };
