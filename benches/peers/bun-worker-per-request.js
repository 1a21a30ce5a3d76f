// Peer for `ttl: 0` modelled on the original Buntime: a new Bun Worker for
// every request (the app module loaded in it), request and response copied
// through postMessage, the worker terminated after the answer. Written here
// for the benchmark, not taken from the original.
//
//   bun bun-worker-per-request.js <app module>   PORT=... (default 3000)
const port = Number(process.env.PORT ?? 3000);
const appModule = Bun.pathToFileURL(require("path").resolve(process.argv[2])).href;
const workerSource = `
  import app from ${JSON.stringify(appModule)};
  self.onmessage = async ({ data }) => {
    const req = new Request(data.url, { method: data.method, headers: data.headers, body: data.body });
    const res = await app.fetch(req);
    self.postMessage({ status: res.status, headers: [...res.headers], body: await res.arrayBuffer() });
  };
`;
const workerUrl = URL.createObjectURL(new Blob([workerSource], { type: "application/javascript" }));
Bun.serve({
  port,
  hostname: "127.0.0.1",
  async fetch(req) {
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
    const worker = new Worker(workerUrl);
    try {
      const data = await new Promise((resolve, reject) => {
        worker.onmessage = ({ data }) => resolve(data);
        worker.onerror = (event) => reject(event.error ?? new Error(event.message));
        worker.postMessage({ url: req.url, method: req.method, headers: [...req.headers], body });
      });
      return new Response(data.body, { status: data.status, headers: data.headers });
    } finally {
      worker.terminate();
    }
  },
});
console.log(`listening on http://127.0.0.1:${port}`);
