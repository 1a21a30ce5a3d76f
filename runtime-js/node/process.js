// node:process: the `process` global.
const process = globalThis.process;
export default process;
export const { env, argv, platform, version, versions, cwd, nextTick, hrtime, arch, pid } = process;
