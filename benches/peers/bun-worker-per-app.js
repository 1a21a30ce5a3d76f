// Peer modelled on the original Buntime's design: Bun.serve on the main
// thread, the app in a Bun Worker, every request and response copied
// through postMessage. Written here for the benchmark, not taken from it.
const port = Number(process.env.PORT ?? 3000);
const workerSource = `
  const app = { fetch() { return new Response("Hello, World!"); } };
  self.onmessage = async ({ data }) => {
    const req = new Request(data.url, { method: data.method, headers: data.headers });
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
  fetch(req) {
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      worker.postMessage({ id, url: req.url, method: req.method, headers: [...req.headers] });
    });
  },
});
console.log(`listening on http://127.0.0.1:${port}`);
