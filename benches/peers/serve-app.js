// Peer: Bun.serve or Deno.serve (whichever runs this file) calling the same
// benchmark app module's `fetch` directly: one process, no pool, no isolation.
//
//   bun serve-app.js <app version folder>          PORT=... (default 3000)
//   deno run -A serve-app.js <app version folder>
//
// A folder whose entrypoint is index.html is served as static files with
// code written here (Bun.file / Deno.readFile), like buntime's static apps:
// `/` is index.html, other paths are files in the folder, unknown paths fall
// back to index.html, nothing outside the folder is served.
const isDeno = typeof Deno !== "undefined";
const args = isDeno ? Deno.args : process.argv.slice(2);
const env = (name) => (isDeno ? Deno.env.get(name) : process.env[name]);
const port = Number(env("PORT") ?? 3000);
const dir = args[0].replace(/\/+$/, "");
const absDir = dir.startsWith("/") ? dir : `${isDeno ? Deno.cwd() : process.cwd()}/${dir}`;

const exists = async (path) => {
  try {
    if (isDeno) return (await Deno.stat(path)).isFile;
    return await Bun.file(path).exists();
  } catch {
    return false;
  }
};

let handler;
if (await exists(`${absDir}/index.html`)) {
  const types = {
    html: "text/html; charset=utf-8",
    css: "text/css; charset=utf-8",
    js: "text/javascript; charset=utf-8",
    json: "application/json",
    svg: "image/svg+xml",
    png: "image/png",
  };
  const typeOf = (path) => types[path.slice(path.lastIndexOf(".") + 1)] ?? "application/octet-stream";
  const resolve = (pathname) => {
    let path = decodeURIComponent(pathname);
    if (path === "/" || path === "" || path.split("/").includes("..")) path = "/index.html";
    return absDir + path;
  };
  handler = isDeno
    ? async (req) => {
        let path = resolve(new URL(req.url).pathname);
        let body;
        try {
          body = await Deno.readFile(path);
        } catch {
          path = `${absDir}/index.html`;
          body = await Deno.readFile(path);
        }
        return new Response(body, { headers: { "content-type": typeOf(path) } });
      }
    : async (req) => {
        let file = Bun.file(resolve(new URL(req.url).pathname));
        if (!(await file.exists())) file = Bun.file(`${absDir}/index.html`);
        return new Response(file);
      };
} else {
  let entry = null;
  for (const name of ["index.ts", "index.js", "index.mjs"]) {
    if (await exists(`${absDir}/${name}`)) {
      entry = `${absDir}/${name}`;
      break;
    }
  }
  const app = (await import(`file://${entry}`)).default;
  handler = (req) => app.fetch(req);
}

if (isDeno) {
  Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, handler);
} else {
  Bun.serve({ port, hostname: "127.0.0.1", fetch: handler });
}
console.log(`${isDeno ? "Deno" : "Bun"} serving ${absDir} on http://127.0.0.1:${port}`);
