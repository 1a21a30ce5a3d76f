// node:stream/promises -- promise forms of pipeline and finished.
import { promises } from "node:stream";

const { pipeline, finished } = promises;
export { pipeline, finished };
export default promises;
