import url, * as named from "node:url";
import qs from "node:querystring";

const urls = [
  "http://user:pass@Example.COM:8080/p/a/t/h?query=string&a=1#hash", "https://example.com", "https://example.com/", "http://example.com/a b?c d#e f",
  "/just/a/path?x=1", "/path", "relative/path?q", "?only=query", "#only-hash", "//host.com/path", "mailto:someone@example.com", "javascript:alert(1)",
  "file:///etc/passwd", "http://[::1]:3000/x", "HTTP://EXAMPLE.com/UPPER", "http://a.com:/x", "http://a.com/p?a=1&a=2&b=%20x+y", "http://a.com\\b\\c?d\\e",
  "ftp://ftp.example.org/file.txt", "http://user@host/", "http://\u00e9xample.com/", "ws://socket.io:80/ws", "  http://trim.me/  ", "http://a.com/<script>", "x:y",
];

export default async function (t) {
  const realUrl = t.real("url");
  const realQs = t.real("querystring");
  t.ok(url.URL === globalThis.URL && named.URLSearchParams === globalThis.URLSearchParams, "URL globals re-exported");
  const pick = (u) => ({ protocol: u.protocol, slashes: u.slashes, auth: u.auth, host: u.host, port: u.port, hostname: u.hostname, hash: u.hash, search: u.search, query: u.query, pathname: u.pathname, path: u.path, href: u.href });
  for (const u of urls) {
    t.same(`parse(${JSON.stringify(u)})`, url, realUrl, (m) => pick(m.parse(u)));
    t.same(`parse(${JSON.stringify(u)}, true)`, url, realUrl, (m) => ({ ...pick(m.parse(u, true)), query: { ...m.parse(u, true).query } }));
    t.same(`format(parse(${JSON.stringify(u)}))`, url, realUrl, (m) => m.format(m.parse(u)));
    t.same(`format(${JSON.stringify(u)})`, url, realUrl, (m) => m.format(u));
  }
  t.same("parse slashesDenoteHost", url, realUrl, (m) => pick(m.parse("//host.com/path?x", false, true)));
  t.ok(url.parse("http://a.com") instanceof url.Url, "parse returns Url");
  const fmtObjs = [
    { protocol: "https", hostname: "example.com", pathname: "/some/path", query: { page: 1, format: "json" } },
    { protocol: "http:", host: "a.com:81", pathname: "x", search: "q=1", hash: "h" },
    { hostname: "::1", port: 80, pathname: "/" }, { pathname: "/a?b#c" }, { protocol: "mailto", auth: "me:pw", hostname: "x.com" },
    { protocol: "file:", pathname: "//share/x" }, { slashes: true, host: "h", pathname: "p" },
  ];
  for (const o of fmtObjs) t.same(`format(${JSON.stringify(o)})`, url, realUrl, (m) => m.format(o));
  const whatwg = new URL("https://u:p@\u00e9xample.com:8443/p?q=1#f");
  for (const o of [undefined, { auth: false }, { fragment: false, search: false }, { unicode: true }]) {
    t.eq(url.format(whatwg, o), realUrl.format(whatwg, o), `format(URL, ${JSON.stringify(o)})`);
  }
  const resolves = [["/one/two/three", "four"], ["http://example.com/", "/one"], ["http://example.com/one", "/two"], ["http://a.com/b/c", "../d"], ["http://a.com/b/c", "//other.com/x"], ["http://a.com/b", "?q=1"], ["http://a.com/b", "#h"], ["a/b", "c"]];
  for (const [a, b] of resolves) t.same(`resolve(${a}, ${b})`, url, realUrl, (m) => m.resolve(a, b));
  for (const p of ["file:///etc/passwd", "file:///a%20b/c", "file:///%E2%82%AC", "file://localhost/x", "file://host/x", "http://x/y", "file:///a%2Fb", "file:///a/"]) {
    t.same(`fileURLToPath(${p})`, url, realUrl, (m) => m.fileURLToPath(p));
    t.same(`fileURLToPath(URL ${p})`, url, realUrl, (m) => m.fileURLToPath(new URL(p)));
  }
  t.same("fileURLToPath(number)", url, realUrl, (m) => m.fileURLToPath(5));
  for (const p of ["/etc/passwd", "/a b/c#d?e", "/100%/x", "/tmp/dir/", "/\u20ac", "/a\\b", "/new\nline"]) {
    t.same(`pathToFileURL(${JSON.stringify(p)})`, url, realUrl, (m) => m.pathToFileURL(p).href);
  }
  for (const d of ["example.com", "\u00e9xample.com", "xn--xample-9ua.com", "EXAMPLE.com", "a b.com", "\u4e2d\u6587.com"]) {
    t.same(`domainToASCII(${d})`, url, realUrl, (m) => m.domainToASCII(d));
    t.same(`domainToUnicode(${d})`, url, realUrl, (m) => m.domainToUnicode(d));
  }
  t.same("urlToHttpOptions", url, realUrl, (m) => m.urlToHttpOptions(new URL("http://u:p@[::1]:90/p?q#h")));

  // querystring
  const qss = ["", "a=1&b=2", "a=1&a=2&a=3", "a", "a=", "=b", "&&a=1&&", "a+b=c+d", "a=%20%2B%zz%E2%82%AC", "a=%E2%82", "k=v=w", "x[]=1&x[]=2", "%F0%9F%98%80=smile", "a=1;b=2"];
  for (const s of qss) {
    t.same(`qs.parse(${JSON.stringify(s)})`, qs, realQs, (m) => ({ ...m.parse(s) }));
    t.same(`qs.parse(${JSON.stringify(s)}, ;, :)`, qs, realQs, (m) => ({ ...m.parse(s, ";", ":") }));
  }
  t.same("qs.parse maxKeys", qs, realQs, (m) => ({ ...m.parse("a=1&b=2&c=3", null, null, { maxKeys: 2 }) }));
  t.same("qs.parse custom decode", qs, realQs, (m) => ({ ...m.parse("a=b", null, null, { decodeURIComponent: (s) => s.toUpperCase() }) }));
  t.ok(Object.getPrototypeOf(qs.parse("a=1")) === null, "qs.parse null prototype");
  const objs = [{ a: 1, b: "two", c: true, d: null, e: undefined, f: [1, 2], g: {}, h: NaN, i: 5n, "k y": "v&w" }, {}, { "\u20ac": "\u{1F600}" }, { arr: [] }, { s: "a b+c/d?e" }];
  for (const o of objs) {
    t.same(`qs.stringify(${realQs.stringify(o)})`, qs, realQs, (m) => m.stringify(o));
    t.same(`qs.stringify(;:)`, qs, realQs, (m) => m.stringify(o, ";", ":"));
  }
  t.same("qs.stringify non-object", qs, realQs, (m) => [m.stringify("str"), m.stringify(null), m.stringify(5)]);
  t.same("qs.stringify custom encode", qs, realQs, (m) => m.stringify({ a: "b c" }, null, null, { encodeURIComponent: (s) => s.toUpperCase() }));
  t.same("qs.escape", qs, realQs, (m) => m.escape("a b&c=d/\u20ac!'()*~"));
  t.same("qs.escape lone surrogate", qs, realQs, (m) => m.escape("\ud800"));
  t.same("qs.unescape", qs, realQs, (m) => [m.unescape("a%20b"), m.unescape("%zz%20"), m.unescape("a+b"), m.unescape("a+b", true)]);
  t.ok(qs.decode === qs.parse && qs.encode === qs.stringify, "qs aliases");
}
