// Peer: Bun.serve answering the same text, no isolation at all.
Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  fetch() {
    return new Response("Hello, World!");
  },
});
console.log(`listening on http://127.0.0.1:${process.env.PORT ?? 3000}`);
