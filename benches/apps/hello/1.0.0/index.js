// The load benchmark's app: the smallest useful answer, a reused worker.
export default {
  fetch() {
    return new Response("Hello, World!");
  },
};
