// `import { serve, file, env } from "bun"`: the Bun global as a module.
const Bun = globalThis.Bun;
export default Bun;
export const { version, revision, env, file, sleep, nanoseconds, serve } = Bun;
