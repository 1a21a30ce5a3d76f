// node:timers/promises -- promise-returning timers.
import { promises } from "node:timers";

const { setTimeout, setImmediate, setInterval, scheduler } = promises;
export { setTimeout, setImmediate, setInterval, scheduler };
export default promises;
