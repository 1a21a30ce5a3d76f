// Stand-in for deno_net's TLS helpers, which deno_fetch loads for
// `Deno.createHttpClient`. Apps get plain `fetch`; custom TLS clients are
// not part of the app contract.
(function () {
  function loadTlsKeyPair() {
    throw new TypeError("custom TLS client certificates are not supported");
  }
  return { loadTlsKeyPair };
})();
