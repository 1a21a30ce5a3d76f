import * as mine from "node:buffer";
import mineDefault from "node:buffer";

export default async function (t) {
  const real = t.real("buffer");
  const MB = mine.Buffer, RB = real.Buffer;
  const util = t.real("util");
  t.ok(mineDefault.Buffer === MB, "default export carries Buffer");
  t.ok(MB.from("a") instanceof Uint8Array, "Buffer is a Uint8Array");
  t.ok(MB.from("a") instanceof MB, "instanceof Buffer");
  t.ok(MB.isBuffer(MB.alloc(1)) && !MB.isBuffer(new Uint8Array(1)), "isBuffer");
  t.ok(MB(3).length === 3, "Buffer(n) without new");

  const strings = ["", "hello", "h\u00e9llo w\u00f6rld", "\u20ac\u{1F600}x", "\ud800 lone", "a\u0000b", "\ufeffbom", "line\nbreak\ttab", "\u00ff\u0100\u7fff"];
  const encs = ["utf8", "utf-8", "hex", "base64", "base64url", "latin1", "binary", "ascii", "utf16le", "ucs2", "UTF8", "Hex"];
  for (const s of strings) {
    for (const e of encs) {
      t.same(`from(${JSON.stringify(s)}, ${e}) bytes`, MB, RB, (B) => Array.from(B.from(s, e)));
      t.same(`toString ${e} of utf8(${JSON.stringify(s)})`, MB, RB, (B) => B.from(s).toString(e));
      t.same(`byteLength(${JSON.stringify(s)}, ${e})`, MB, RB, (B) => B.byteLength(s, e));
    }
  }
  for (const s of ["68656c6c6f", "6G", "abc", "ABCDEF", "zz00"]) t.same(`hex decode ${s}`, MB, RB, (B) => Array.from(B.from(s, "hex")));
  for (const s of ["aGVsbG8=", "aGVsbG8", "aGV sbG8", "a-_b", "a+/b==", "=", "YQ==YQ==", "Y", "YW", "YWI"]) {
    t.same(`base64 decode ${s}`, MB, RB, (B) => Array.from(B.from(s, "base64")));
    t.same(`base64url decode ${s}`, MB, RB, (B) => Array.from(B.from(s, "base64url")));
  }
  const bin = Array.from({ length: 300 }, (_, i) => (i * 7 + 3) & 255);
  for (const e of ["utf8", "hex", "base64", "base64url", "latin1", "ascii", "utf16le"]) {
    t.same(`binary toString ${e}`, MB, RB, (B) => B.from(bin).toString(e));
    t.same(`binary toString ${e} 3..77`, MB, RB, (B) => B.from(bin).toString(e, 3, 77));
  }
  t.same("unknown encoding throws", MB, RB, (B) => B.from("x", "nope"));
  t.same("toString unknown encoding", MB, RB, (B) => B.from("x").toString("nope"));
  t.same("from number throws", MB, RB, (B) => B.from(5));
  t.same("from array", MB, RB, (B) => Array.from(B.from([1, 256, -1, 3.7, "7"])));
  t.same("from arrayLike", MB, RB, (B) => Array.from(B.from({ length: 2, 0: 9, 1: 8 })));
  t.same("from JSON", MB, RB, (B) => Array.from(B.from({ type: "Buffer", data: [1, 2, 3] })));
  t.same("from Uint16Array", MB, RB, (B) => Array.from(B.from(new Uint16Array([1, 256, 513]))));
  t.same("from String object", MB, RB, (B) => Array.from(B.from(new String("hey"))));
  {
    const ab = new ArrayBuffer(8);
    const b = MB.from(ab, 2, 4);
    new Uint8Array(ab)[3] = 42;
    t.eq(b[1], 42, "from(arrayBuffer) shares memory");
    t.eq(b.length, 4, "from(arrayBuffer, off, len) length");
    t.same("from(arrayBuffer) offset out of bounds", MB, RB, (B) => B.from(new ArrayBuffer(4), 5));
  }
  {
    const a = MB.from("abc");
    const c = MB.from(a);
    c[0] = 0;
    t.eq(a[0], 97, "from(buffer) copies");
  }
  t.same("alloc fill string", MB, RB, (B) => Array.from(B.alloc(7, "ab")));
  t.same("alloc fill hex", MB, RB, (B) => Array.from(B.alloc(5, "0a0b", "hex")));
  t.same("alloc fill number", MB, RB, (B) => Array.from(B.alloc(3, 257)));
  t.same("alloc fill buffer", MB, RB, (B) => Array.from(B.alloc(5, B.from([1, 2]))));
  t.same("alloc negative", MB, RB, (B) => B.alloc(-1));
  t.same("alloc string size", MB, RB, (B) => B.alloc("3"));
  t.same("allocUnsafe length", MB, RB, (B) => B.allocUnsafe(10).length);
  t.same("concat", MB, RB, (B) => Array.from(B.concat([B.from("ab"), new Uint8Array([1]), B.from("cd")])));
  t.same("concat totalLength short", MB, RB, (B) => Array.from(B.concat([B.from("ab"), B.from("cd")], 3)));
  t.same("concat totalLength long", MB, RB, (B) => Array.from(B.concat([B.from("ab")], 4)));
  t.same("concat empty", MB, RB, (B) => B.concat([]).length);
  t.same("concat bad", MB, RB, (B) => B.concat(["x"]));
  t.same("compare", MB, RB, (B) => [B.compare(B.from("a"), B.from("b")), B.compare(B.from("b"), B.from("a")), B.compare(B.from("ab"), B.from("a")), B.compare(B.from(""), B.from(""))]);
  t.same("isEncoding", MB, RB, (B) => ["utf8", "UTF-8", "hex", "latin1", "binary", "ucs-2", "nope", "", 1, "base64url"].map((e) => B.isEncoding(e)));

  // instance methods
  t.same("slice shares and negative", MB, RB, (B) => {
    const b = B.from("hello world");
    const s = b.slice(-5, -1);
    s[0] = 87;
    return [b.toString(), s.toString(), B.isBuffer(s), b.subarray(3).toString(), b.slice(8, 2).length];
  });
  t.same("equals", MB, RB, (B) => [B.from("a").equals(B.from("a")), B.from("a").equals(B.from("b")), B.from("a").equals(new Uint8Array([97]))]);
  t.same("compare ranges", MB, RB, (B) => {
    const a = B.from([1, 2, 3, 4, 5]), b = B.from([3, 4, 5, 6]);
    return [a.compare(b), a.compare(b, 0, 2, 2, 4), a.compare(b, 0, 0, 2, 2), a.compare(b, 1, 1), b.compare(a, 0, 3, 2)];
  });
  t.same("compare out of range", MB, RB, (B) => B.from("a").compare(B.from("b"), 5));
  t.same("copy", MB, RB, (B) => {
    const a = B.from("abcdef"), b = B.alloc(4, ".");
    const n = a.copy(b, 1, 2);
    const m = a.copy(b, 10);
    return [n, m, b.toString()];
  });
  t.same("copy overlapping", MB, RB, (B) => {
    const a = B.from("abcdefgh");
    a.copy(a, 2, 0, 5);
    return a.toString();
  });
  t.same("write", MB, RB, (B) => {
    const b = B.alloc(10);
    return [b.write("hi"), b.write("\u20ac\u20ac\u20ac\u20ac", 1), b.write("ff00", 8, "hex"), b.write("abc", "latin1"), b.write("xyz", 2, 1), b.write("zz", 0, 2, "utf16le"), Array.from(b)];
  });
  t.same("write offset range", MB, RB, (B) => B.alloc(2).write("a", 3));
  t.same("fill variants", MB, RB, (B) => {
    const b = B.alloc(8);
    b.fill("xy", 1, 6);
    const c = B.alloc(4).fill(0x1234);
    const d = B.alloc(5).fill("\u20ac");
    const e = B.alloc(3).fill("");
    return [Array.from(b), Array.from(c), Array.from(d), Array.from(e)];
  });
  t.same("fill invalid hex", MB, RB, (B) => B.alloc(3).fill("zz", "hex"));
  const hay = "this is a buffer example, a buffer";
  const needles = ["buffer", "a", "", "zzz", "example", 105, 0x62, 356];
  for (const n of needles) {
    for (const off of [undefined, 0, 5, -6, 100, -100, "utf8"]) {
      t.same(`indexOf(${String(n)}, ${off})`, MB, RB, (B) => B.from(hay).indexOf(n, off));
      t.same(`lastIndexOf(${String(n)}, ${off})`, MB, RB, (B) => B.from(hay).lastIndexOf(n, off));
      t.same(`includes(${String(n)}, ${off})`, MB, RB, (B) => B.from(hay).includes(n, off));
    }
  }
  t.same("indexOf buffer needle", MB, RB, (B) => B.from(hay).indexOf(B.from("example")));
  t.same("indexOf hex needle", MB, RB, (B) => B.from(hay).indexOf("6973", 3, "hex"));
  t.same("toJSON", MB, RB, (B) => JSON.stringify(B.from("hi")));
  t.same("toJSON obj", MB, RB, (B) => B.from([1, 2]).toJSON());
  t.same("swap16", MB, RB, (B) => Array.from(B.from([1, 2, 3, 4]).swap16()));
  t.same("swap32", MB, RB, (B) => Array.from(B.from([1, 2, 3, 4, 5, 6, 7, 8]).swap32()));
  t.same("swap64", MB, RB, (B) => Array.from(B.from([1, 2, 3, 4, 5, 6, 7, 8]).swap64()));
  t.same("swap16 odd", MB, RB, (B) => B.from([1, 2, 3]).swap16());

  // numeric accessors
  const bytes = [0x00, 0xff, 0x7f, 0x80, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];
  for (const name of ["readUInt8", "readInt8", "readUInt16LE", "readUInt16BE", "readInt16LE", "readInt16BE", "readUInt32LE", "readUInt32BE", "readInt32LE", "readInt32BE", "readFloatLE", "readFloatBE", "readDoubleLE", "readDoubleBE", "readBigUInt64LE", "readBigUInt64BE", "readBigInt64LE", "readBigInt64BE", "readUint16LE", "readUint32BE"]) {
    for (const off of [undefined, 0, 1, 3, 4, 9, 11, 12, -1, 1.5, "1"]) {
      t.same(`${name}(${off})`, MB, RB, (B) => B.from(bytes)[name](off));
    }
  }
  for (const name of ["readUIntLE", "readUIntBE", "readIntLE", "readIntBE"]) {
    for (const bl of [1, 2, 3, 5, 6, 7, 0]) {
      for (const off of [0, 3, 6, 8]) t.same(`${name}(${off}, ${bl})`, MB, RB, (B) => B.from(bytes)[name](off, bl));
    }
  }
  const writes = [
    ["writeUInt8", [0, 255, 256, -1, 3.7]], ["writeInt8", [-128, 127, 128, -129, -1]],
    ["writeUInt16LE", [0, 65535, 65536, 0x1234]], ["writeUInt16BE", [0x1234, -1]], ["writeInt16LE", [-32768, 32767, -1, 40000]], ["writeInt16BE", [-2, 5]],
    ["writeUInt32LE", [0xdeadbeef, 2 ** 32, -1]], ["writeUInt32BE", [0xdeadbeef, 1]], ["writeInt32LE", [-1, -(2 ** 31), 2 ** 31]], ["writeInt32BE", [-123456, 2 ** 31 - 1]],
    ["writeFloatLE", [1.5, -0.1, NaN, Infinity]], ["writeFloatBE", [3.25]], ["writeDoubleLE", [Math.PI, -0]], ["writeDoubleBE", [1e300]],
    ["writeBigUInt64LE", [0n, 2n ** 64n - 1n, 2n ** 64n, -1n, 5]], ["writeBigUInt64BE", [0x0102030405060708n]], ["writeBigInt64LE", [-1n, -(2n ** 63n), 2n ** 63n]], ["writeBigInt64BE", [-5n]],
  ];
  for (const [name, values] of writes) {
    for (const v of values) {
      for (const off of [undefined, 0, 2, 5]) {
        t.same(`${name}(${v}, ${off})`, MB, RB, (B) => {
          const b = B.alloc(10);
          const r = b[name](v, off);
          return [r, Array.from(b)];
        });
      }
    }
  }
  for (const name of ["writeUIntLE", "writeUIntBE", "writeIntLE", "writeIntBE"]) {
    for (const [v, bl] of [[0x123456, 3], [-2, 3], [2 ** 40 + 5, 6], [-(2 ** 40), 6], [300, 1], [1, 7], [2 ** 48, 6], [-1, 2]]) {
      t.same(`${name}(${v}, 1, ${bl})`, MB, RB, (B) => {
        const b = B.alloc(8);
        const r = b[name](v, 1, bl);
        return [r, Array.from(b)];
      });
    }
  }

  // inspect
  t.eq(util.inspect(MB.from("hi")), "<Buffer 68 69>", "inspect small");
  t.eq(util.inspect(MB.alloc(0)), util.inspect(RB.alloc(0)), "inspect empty");
  t.eq(util.inspect(MB.alloc(60, 1)), util.inspect(RB.alloc(60, 1)), "inspect long");
  t.eq(util.inspect(MB.alloc(51, 1)), util.inspect(RB.alloc(51, 1)), "inspect 51");
  t.ok(typeof MB.prototype[Symbol.for("nodejs.util.inspect.custom")] === "function", "inspect.custom on prototype");

  // map/filter keep producing Buffers via species
  t.ok(MB.isBuffer(MB.from([1, 2]).map((x) => x * 2)), "map returns Buffer");
  t.eq(Array.from(MB.from([1, 2]).map((x) => x * 2)), [2, 4], "map values");
  t.same("transcode", mine, real, (m) => Array.from(m.transcode(m.Buffer.from("h\u00e9"), "utf8", "latin1")));
  t.same("isUtf8", mine, real, (m) => [m.isUtf8(new Uint8Array([0xc3, 0xa9])), m.isUtf8(new Uint8Array([0xc3]))]);
  t.ok(typeof mine.Blob === "function" && typeof mine.atob === "function" && typeof mine.btoa === "function", "Blob/atob/btoa");
  t.ok(typeof mine.kMaxLength === "number" && mine.constants.MAX_LENGTH === mine.kMaxLength, "kMaxLength/constants");
  t.ok(typeof mine.SlowBuffer === "function", "SlowBuffer");
  t.same("parent/offset", MB, RB, (B) => { const b = B.from(new ArrayBuffer(8), 2, 3); return [b.offset, b.parent instanceof ArrayBuffer]; });
  t.same("readUInt8 wrong type", MB, RB, (B) => B.alloc(2).readUInt8({}));
  t.same("toString range", MB, RB, (B) => [B.from("hello").toString("utf8", 1, 3), B.from("hello").toString("utf8", -1, 100), B.from("hello").toString("utf8", 4, 2), B.from("hello").toString(undefined, 2)]);
  t.same("utf8 decode invalid", MB, RB, (B) => B.from([0xe2, 0x82, 0x41, 0xf0, 0x9f, 0x98, 0xc0, 0xaf, 0xed, 0xa0, 0x80]).toString());
}
