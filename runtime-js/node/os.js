// node:os -- plausible fixed answers: a worker has no view of the host.

const EOL = "\n";
const devNull = "/dev/null";

const constants = {
  UV_UDP_REUSEADDR: 4,
  dlopen: { RTLD_LAZY: 1, RTLD_NOW: 2, RTLD_GLOBAL: 256, RTLD_LOCAL: 0, RTLD_DEEPBIND: 8 },
  errno: {
    E2BIG: 7, EACCES: 13, EADDRINUSE: 98, EADDRNOTAVAIL: 99, EAGAIN: 11, EBADF: 9, EBUSY: 16, ECONNABORTED: 103,
    ECONNREFUSED: 111, ECONNRESET: 104, EEXIST: 17, EINTR: 4, EINVAL: 22, EIO: 5, EISDIR: 21, EMFILE: 24,
    ENOENT: 2, ENOMEM: 12, ENOSPC: 28, ENOTDIR: 20, ENOTEMPTY: 39, EPERM: 1, EPIPE: 32, ETIMEDOUT: 110,
  },
  signals: {
    SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8,
    SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17,
    SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25,
    SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
  },
  priority: { PRIORITY_LOW: 19, PRIORITY_BELOW_NORMAL: 10, PRIORITY_NORMAL: 0, PRIORITY_ABOVE_NORMAL: -7, PRIORITY_HIGH: -14, PRIORITY_HIGHEST: -20 },
};

const startedAt = Date.now();

function env(name) {
  const p = globalThis.process;
  return p && p.env ? p.env[name] : undefined;
}

const arch = () => "x64";
const platform = () => "linux";
const type = () => "Linux";
const release = () => "6.0.0";
const version = () => "#1 SMP";
const machine = () => "x86_64";
const endianness = () => "LE";
const hostname = () => "localhost";
const homedir = () => env("HOME") || "/";
const tmpdir = () => {
  let dir = env("TMPDIR") || env("TMP") || env("TEMP") || "/tmp";
  if (dir.length > 1 && dir.endsWith("/")) dir = dir.slice(0, -1);
  return dir;
};
const totalmem = () => 2 * 1024 * 1024 * 1024;
const freemem = () => 1024 * 1024 * 1024;
const availableParallelism = () => 1;
const uptime = () => Math.floor((Date.now() - startedAt) / 1000);
const loadavg = () => [0, 0, 0];
const networkInterfaces = () => ({});
const cpus = () => [{ model: "Virtual CPU", speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } }];
const getPriority = () => 0;
const setPriority = () => {};

function userInfo(options) {
  const user = {
    uid: -1,
    gid: -1,
    username: env("USER") || "buntime",
    homedir: homedir(),
    shell: null,
  };
  if (options && options.encoding === "buffer" && globalThis.Buffer) {
    user.username = globalThis.Buffer.from(user.username);
    user.homedir = globalThis.Buffer.from(user.homedir);
  }
  return user;
}

const os = {
  EOL, devNull, constants, arch, platform, type, release, version, machine, endianness, hostname, homedir,
  tmpdir, totalmem, freemem, availableParallelism, uptime, loadavg, networkInterfaces, cpus, getPriority,
  setPriority, userInfo,
};

export {
  EOL, devNull, constants, arch, platform, type, release, version, machine, endianness, hostname, homedir,
  tmpdir, totalmem, freemem, availableParallelism, uptime, loadavg, networkInterfaces, cpus, getPriority,
  setPriority, userInfo,
};
export default os;
