// hono: Hono's hello world (Issue 7). `npm ci` in this folder installs hono
// from the committed lock file (benches/compare.sh does it).
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.text("Hello, World!"));
app.get("/json", (c) => c.json({ hello: "world" }));

export default app;
