// cpu: recursive fib(25) on every request (~250k calls, JIT-bound).
function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
export default {
  fetch() {
    return new Response(String(fib(25)));
  },
};
