import sd, { StringDecoder } from "node:string_decoder";

export default async function (t) {
  const real = t.real("string_decoder");
  const RB = t.real("buffer").Buffer;
  t.ok(sd.StringDecoder === StringDecoder, "default export");
  const samples = {
    utf8: ["h\u00e9llo \u20ac \u{1F600} \u4e2d", [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xff, 0x41, 0xc3], [0xed, 0xa0, 0x80, 0x41]],
    utf16le: ["h\u00e9 \u{1F600}x", [0x41]],
    base64: ["hello world!!", [1, 2, 3, 4, 5]],
    base64url: ["\u00ff\u00fe\u00fdabc"],
    hex: ["abc\u00ff"],
    latin1: ["caf\u00e9"],
    ascii: ["plain text \u00e9"],
  };
  for (const [enc, list] of Object.entries(samples)) {
    for (const s of list) {
      const bytes = typeof s === "string" ? Array.from(RB.from(s, enc === "latin1" || enc === "ascii" ? "latin1" : enc === "utf16le" ? "utf16le" : "utf8")) : s;
      // every split into 1..3 pieces
      for (let i = 0; i <= bytes.length; i++) {
        for (let j = i; j <= bytes.length; j += Math.max(1, Math.floor(bytes.length / 4))) {
          const run = (D, B) => {
            const d = new D(enc);
            const out = [d.write(B.from(bytes.slice(0, i))), d.write(B.from(bytes.slice(i, j))), d.write(B.from(bytes.slice(j))), d.end()];
            return out.join("|");
          };
          t.eq(run(StringDecoder, RB), run(real.StringDecoder, RB), `${enc} ${JSON.stringify(bytes.length > 12 ? bytes.length : bytes)} split ${i},${j}`);
        }
      }
    }
  }
  t.eq(new StringDecoder("utf8").end(RB.from([0xe2, 0x82])), new real.StringDecoder("utf8").end(RB.from([0xe2, 0x82])), "end with partial");
  t.eq(new StringDecoder().encoding, "utf8", "default encoding");
  t.eq(new StringDecoder("UCS2").encoding, new real.StringDecoder("UCS2").encoding, "encoding normalised");
  t.throws(() => new StringDecoder("bogus"), (e) => e.code === "ERR_UNKNOWN_ENCODING", "unknown encoding throws");
  t.eq(new StringDecoder().write(new Uint8Array([104, 105])), "hi", "accepts Uint8Array");
}
