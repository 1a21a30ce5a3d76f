// node:dns/promises: node:dns's promise API.
import { promises } from "node:dns";

export const { lookup } = promises;
export default promises;
