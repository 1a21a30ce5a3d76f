// node:path/posix -- the same object as node:path on a POSIX system.
export * from "node:path";
export { default } from "node:path";
