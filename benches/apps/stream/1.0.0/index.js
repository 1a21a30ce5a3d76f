// stream: a 1 MiB body as 16 chunks of 64 KiB from a ReadableStream.
const CHUNK = new Uint8Array(64 * 1024).fill(120);
const CHUNKS = 16;
export default {
  fetch() {
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent++ < CHUNKS) controller.enqueue(CHUNK.slice());
        else controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "application/octet-stream" } });
  },
};
