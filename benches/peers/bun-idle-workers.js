// Memory peer for benches/density.sh: the original model's idle cost, one
// Bun process holding N Workers, each with its app loaded and answered
// once, then idle.
//
//   bun bun-idle-workers.js <apps dir with app1..appN> <N>
// Prints "ready <RSS KB before the workers>" when all N have answered.
import { readFileSync } from "fs";

const [dir, count] = [process.argv[2], Number(process.argv[3])];
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))[1]);
Bun.gc(true);
const before = rssKb();
const workers = [];
for (let i = 1; i <= count; i++) {
  const app = Bun.pathToFileURL(`${dir}/app${i}/1.0.0/index.js`).href;
  const source = `import app from ${JSON.stringify(app)};
    self.onmessage = async ({ data }) => {
      const res = await app.fetch(new Request(data));
      self.postMessage(await res.text());
    };`;
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/javascript" })));
  await new Promise((resolve) => {
    worker.onmessage = resolve;
    worker.postMessage("http://localhost/");
  });
  workers.push(worker);
}
console.log(`ready ${before}`);
setInterval(() => {}, 1 << 30);
