// node:fs/promises: the promise forms of node:fs's reads.
import { promises } from "node:fs";

export const { readFile, stat, lstat, readdir, access, realpath, writeFile, appendFile, mkdir, rm, unlink, rename, copyFile, constants } = promises;
export default promises;
