// node:child_process: importable; starting a process throws.
import { unsupported, unsupportedClass } from "node:_errors";

const WHY = "apps cannot start processes";

export const ChildProcess = unsupportedClass("child_process", "ChildProcess", WHY);
export const spawn = unsupported("child_process", "spawn", WHY);
export const spawnSync = unsupported("child_process", "spawnSync", WHY);
export const exec = unsupported("child_process", "exec", WHY);
export const execSync = unsupported("child_process", "execSync", WHY);
export const execFile = unsupported("child_process", "execFile", WHY);
export const execFileSync = unsupported("child_process", "execFileSync", WHY);
export const fork = unsupported("child_process", "fork", WHY);

export default { ChildProcess, spawn, spawnSync, exec, execSync, execFile, execFileSync, fork };
