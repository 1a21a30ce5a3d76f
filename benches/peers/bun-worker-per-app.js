// Peer modelled on the original Buntime's design: Bun.serve on the main
// thread, the app in a Bun Worker, every request and response copied
// through postMessage. Written here for the benchmark, not taken from it.
//
//   bun bun-worker-per-app.js [app module]   PORT=... (default 3000)
//
// Without an argument the worker answers "Hello, World!" itself (what
// benches/load.sh measures); with one, the worker imports that module and
// calls its default export's `fetch` (the hello, Hono, ... bench apps).
const port = Number(process.env.PORT ?? 3000);
const appModule = process.argv[2] ? Bun.pathToFileURL(require("path").resolve(process.argv[2])).href : null;
const appSource = appModule
  ? `import mod from ${JSON.stringify(appModule)}; const app = mod;`
  : `const app = { fetch() { return new Response("Hello, World!"); } };`;
const workerSource = `
  ${appSource}
  self.onmessage = async ({ data }) => {
    const req = new Request(data.url, { method: data.method, headers: data.headers, body: data.body });
    const res = await app.fetch(req);
    self.postMessage({ id: data.id, status: res.status, headers: [...res.headers], body: await res.arrayBuffer() });
  };
`;
const worker = new Worker(URL.createObjectURL(new Blob([workerSource], { type: "application/javascript" })));
const pending = new Map();
let nextId = 0;
worker.onmessage = ({ data }) => {
  const resolve = pending.get(data.id);
  pending.delete(data.id);
  resolve(new Response(data.body, { status: data.status, headers: data.headers }));
};
Bun.serve({
  port,
  hostname: "127.0.0.1",
  async fetch(req) {
    const id = nextId++;
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
    return new Promise((resolve) => {
      pending.set(id, resolve);
      worker.postMessage({ id, url: req.url, method: req.method, headers: [...req.headers], body });
    });
  },
});
console.log(`listening on http://127.0.0.1:${port}`);
