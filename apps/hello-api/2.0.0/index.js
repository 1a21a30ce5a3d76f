// Version 2 of the JSON API: adds a greeting route and reads its environment.
let served = 0;

export default {
  fetch(req) {
    const url = new URL(req.url);
    served++;
    switch (url.pathname) {
      case "/":
        return Response.json({ message: "Hello from hello-api", version: "2.0.0", served });
      case "/greet":
        return Response.json({ greeting: `Hello, ${url.searchParams.get("name") ?? "world"}!` });
      case "/env":
        return Response.json({ greeting: Bun.env.GREETING ?? null });
      default:
        return Response.json({ error: `No route ${url.pathname}` }, { status: 404 });
    }
  },
};
