// Same answer with `ttl: 0`: every request gets a new isolate, so the
// latency of this app is isolate creation + app load + the request.
export default {
  fetch() {
    return new Response("Hello, World!");
  },
};
