// node:path -- POSIX path functions (the default) and a smaller win32 set.

function checkString(value, name) {
  if (typeof value !== "string") {
    const got = value === null ? "null" : value === undefined ? "undefined" : typeof value === "object" ? `an instance of ${value.constructor ? value.constructor.name : "Object"}` : `type ${typeof value} (${String(value)})`;
    const err = new TypeError(`The "${name}" argument must be of type string. Received ${got}`);
    err.code = "ERR_INVALID_ARG_TYPE";
    throw err;
  }
}

function cwd() {
  const p = globalThis.process;
  try {
    if (p && typeof p.cwd === "function") return p.cwd();
  } catch {
    // fall through
  }
  return "/";
}

// Collapse "." and ".." in a separator-split path; keeps leading ".." when
// the path is relative (allowAboveRoot).
function normalizeSegments(path, sep, allowAboveRoot) {
  const out = [];
  for (const seg of path.split(sep)) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (allowAboveRoot) out.push("..");
      continue;
    }
    out.push(seg);
  }
  return out.join(sep);
}

const posix = {
  sep: "/",
  delimiter: ":",

  resolve(...args) {
    let resolved = "";
    let absolute = false;
    for (let i = args.length - 1; i >= -1 && !absolute; i--) {
      const p = i >= 0 ? args[i] : cwd();
      checkString(p, `paths[${i}]`);
      if (p.length === 0) continue;
      resolved = `${p}/${resolved}`;
      absolute = p.charCodeAt(0) === 47;
    }
    resolved = normalizeSegments(resolved, "/", !absolute);
    if (absolute) return `/${resolved}`;
    return resolved.length > 0 ? resolved : ".";
  },

  normalize(path) {
    checkString(path, "path");
    if (path.length === 0) return ".";
    const absolute = path.charCodeAt(0) === 47;
    const trailing = path.charCodeAt(path.length - 1) === 47;
    let out = normalizeSegments(path, "/", !absolute);
    if (out.length === 0) {
      if (absolute) return "/";
      return trailing ? "./" : ".";
    }
    if (trailing) out += "/";
    return absolute ? `/${out}` : out;
  },

  isAbsolute(path) {
    checkString(path, "path");
    return path.length > 0 && path.charCodeAt(0) === 47;
  },

  join(...args) {
    if (args.length === 0) return ".";
    const parts = [];
    for (const a of args) {
      checkString(a, "path");
      if (a.length > 0) parts.push(a);
    }
    if (parts.length === 0) return ".";
    return posix.normalize(parts.join("/"));
  },

  relative(from, to) {
    checkString(from, "from");
    checkString(to, "to");
    if (from === to) return "";
    from = posix.resolve(from);
    to = posix.resolve(to);
    if (from === to) return "";
    const a = from === "/" ? [] : from.slice(1).split("/");
    const b = to === "/" ? [] : to.slice(1).split("/");
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    const up = new Array(a.length - i).fill("..");
    return up.concat(b.slice(i)).join("/");
  },

  toNamespacedPath(path) {
    return path;
  },

  dirname(path) {
    checkString(path, "path");
    if (path.length === 0) return ".";
    const hasRoot = path.charCodeAt(0) === 47;
    let end = -1;
    let sawName = false;
    for (let i = path.length - 1; i >= 1; i--) {
      if (path.charCodeAt(i) === 47) {
        if (sawName) {
          end = i;
          break;
        }
      } else {
        sawName = true;
      }
    }
    if (end === -1) return hasRoot ? "/" : ".";
    if (hasRoot && end === 1) return "//";
    return path.slice(0, end);
  },

  basename(path, suffix) {
    if (suffix !== undefined) checkString(suffix, "suffix");
    checkString(path, "path");
    if (suffix !== undefined && suffix.length > 0 && suffix.length <= path.length) {
      if (suffix === path) return "";
      // Match the suffix against the tail of the last name while walking back.
      // Node's quirks are kept: a partial match that reaches the separator
      // returns the name with its trailing separators.
      let start = 0;
      let end = -1;
      let nameEnd = -1;
      let k = suffix.length - 1;
      for (let i = path.length - 1; i >= 0; i--) {
        if (path.charCodeAt(i) === 47) {
          if (nameEnd !== -1) {
            start = i + 1;
            break;
          }
          continue;
        }
        if (nameEnd === -1) nameEnd = i + 1;
        if (k >= 0) {
          if (path[i] === suffix[k]) {
            if (--k === -1) end = i;
          } else {
            k = -1;
            end = nameEnd;
          }
        }
      }
      if (start === end) end = nameEnd;
      else if (end === -1) end = path.length;
      return path.slice(start, end);
    }
    let end = path.length;
    while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
    if (end === 0) return "";
    return path.slice(path.lastIndexOf("/", end - 1) + 1, end);
  },

  extname(path) {
    checkString(path, "path");
    return extOf(posix.basename(path));
  },

  format(obj) {
    return formatWith(obj, "/");
  },

  parse(path) {
    checkString(path, "path");
    const ret = { root: "", dir: "", base: "", ext: "", name: "" };
    if (path.length === 0) return ret;
    const absolute = path.charCodeAt(0) === 47;
    if (absolute) ret.root = "/";
    let end = path.length;
    while (end > 1 && path.charCodeAt(end - 1) === 47) end--;
    const start = path.lastIndexOf("/", end - 1) + 1;
    const base = path.slice(start, end);
    if (base === "" || (absolute && start === 0)) {
      ret.dir = "/";
      return ret;
    }
    ret.base = base;
    ret.ext = extOf(base);
    ret.name = base.slice(0, base.length - ret.ext.length);
    if (start > 1) ret.dir = path.slice(0, start - 1);
    else if (absolute) ret.dir = "/";
    return ret;
  },

  matchesGlob(path, pattern) {
    checkString(path, "path");
    checkString(pattern, "pattern");
    return globToRegExp(pattern).test(path);
  },
};

function extOf(base) {
  const idx = base.lastIndexOf(".");
  if (idx <= 0 || base === "..") return "";
  return base.slice(idx);
}

function formatWith(obj, sep) {
  if (obj === null || typeof obj !== "object") {
    const err = new TypeError(`The "pathObject" argument must be of type object. Received ${obj === null ? "null" : `type ${typeof obj} (${String(obj)})`}`);
    err.code = "ERR_INVALID_ARG_TYPE";
    throw err;
  }
  const dir = obj.dir || obj.root;
  let ext = obj.ext || "";
  if (ext && ext[0] !== ".") ext = `.${ext}`;
  const base = obj.base || `${obj.name || ""}${ext}`;
  if (!dir) return base;
  return dir === obj.root ? `${dir}${base}` : `${dir}${sep}${base}`;
}

function globToRegExp(pattern) {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        re += ".*";
        i++;
        if (pattern[i + 1] === "/") i++;
      } else {
        re += "[^/]*";
      }
    } else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

// ---- win32 (simplified: drive letters and UNC roots, both separators) -------

function splitWinRoot(path) {
  // Returns [root, rest] with root like "C:\\", "C:", "\\\\server\\share\\" or "\\".
  const p = path.replace(/\//g, "\\");
  let m = /^\\\\([^\\]+)\\([^\\]+)(\\|$)/.exec(p);
  if (m) return [`\\\\${m[1]}\\${m[2]}\\`, p.slice(m[0].length), true];
  m = /^([a-zA-Z]:)(\\?)/.exec(p);
  if (m) return [m[1] + m[2], p.slice(m[0].length), m[2] !== ""];
  if (p.startsWith("\\")) return ["\\", p.replace(/^\\+/, ""), true];
  return ["", p, false];
}

const win32 = {
  sep: "\\",
  delimiter: ";",
  isAbsolute(path) {
    checkString(path, "path");
    return splitWinRoot(path)[2];
  },
  normalize(path) {
    checkString(path, "path");
    if (path.length === 0) return ".";
    const [root, rest, abs] = splitWinRoot(path);
    const trailing = /[\\/]$/.test(path) && rest.length > 0;
    let out = normalizeSegments(rest, "\\", !abs);
    if (out.length === 0 && !abs) out = ".";
    if (trailing && out.length > 0) out += "\\";
    return root + out;
  },
  join(...args) {
    const parts = [];
    for (const a of args) {
      checkString(a, "path");
      if (a.length > 0) parts.push(a);
    }
    if (parts.length === 0) return ".";
    return win32.normalize(parts.join("\\"));
  },
  resolve(...args) {
    let root = "";
    let tail = "";
    let abs = false;
    for (let i = args.length - 1; i >= 0 && !abs; i--) {
      checkString(args[i], `paths[${i}]`);
      if (args[i].length === 0) continue;
      const [r, rest, isAbs] = splitWinRoot(args[i]);
      if (r && root && r.toLowerCase() !== root.toLowerCase() && !(r === "\\")) continue;
      if (!root) root = r;
      tail = `${rest}\\${tail}`;
      abs = isAbs;
    }
    if (!abs) root = root || "\\";
    if (root.length === 2) root += "\\";
    return root + normalizeSegments(tail, "\\", false);
  },
  relative(from, to) {
    const a = win32.resolve(from);
    const b = win32.resolve(to);
    if (a.toLowerCase() === b.toLowerCase()) return "";
    const [ra, resta] = splitWinRoot(a);
    const [rb, restb] = splitWinRoot(b);
    if (ra.toLowerCase() !== rb.toLowerCase()) return b;
    const x = resta ? resta.split("\\") : [];
    const y = restb ? restb.split("\\") : [];
    let i = 0;
    while (i < x.length && i < y.length && x[i].toLowerCase() === y[i].toLowerCase()) i++;
    return new Array(x.length - i).fill("..").concat(y.slice(i)).join("\\");
  },
  dirname(path) {
    checkString(path, "path");
    const [root, rest] = splitWinRoot(path);
    const trimmed = rest.replace(/\\+$/, "");
    const idx = trimmed.lastIndexOf("\\");
    if (idx === -1) return path.slice(0, root.length) || ".";
    // Slice the caller's string so its own separators are kept.
    return path.slice(0, path.length - rest.length + idx);
  },
  basename(path, suffix) {
    checkString(path, "path");
    const rest = splitWinRoot(path)[1].replace(/\\+$/, "");
    let base = rest.slice(rest.lastIndexOf("\\") + 1);
    if (suffix !== undefined && suffix.length > 0 && suffix !== base && base.toLowerCase().endsWith(suffix.toLowerCase())) {
      base = base.slice(0, base.length - suffix.length);
    }
    return base;
  },
  extname(path) {
    return extOf(win32.basename(path));
  },
  parse(path) {
    checkString(path, "path");
    const [root, rest] = splitWinRoot(path);
    const base = win32.basename(path);
    const ext = extOf(base);
    const trimmed = rest.replace(/\\+$/, "");
    const idx = trimmed.lastIndexOf("\\");
    const dir = idx === -1 ? root : root + trimmed.slice(0, idx);
    return { root, dir, base, ext, name: base.slice(0, base.length - ext.length) };
  },
  format(obj) {
    return formatWith(obj, "\\");
  },
  toNamespacedPath(path) {
    if (typeof path !== "string" || path.length === 0) return path;
    const resolved = win32.resolve(path);
    if (/^[a-zA-Z]:\\/.test(resolved)) return `\\\\?\\${resolved}`;
    if (resolved.startsWith("\\\\") && resolved[2] !== "?" && resolved[2] !== ".") return `\\\\?\\UNC\\${resolved.slice(2)}`;
    return path;
  },
  matchesGlob(path, pattern) {
    return globToRegExp(pattern.replace(/\\/g, "/")).test(path.replace(/\\/g, "/"));
  },
};

posix.posix = win32.posix = posix;
posix.win32 = win32.win32 = win32;
posix._makeLong = posix.toNamespacedPath;
win32._makeLong = win32.toNamespacedPath;

export const {
  sep, delimiter, resolve, normalize, isAbsolute, join, relative, toNamespacedPath, dirname, basename,
  extname, format, parse, matchesGlob, _makeLong,
} = posix;
export { posix, win32 };
export default posix;
