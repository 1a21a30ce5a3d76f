// A JSON API in the Bun style: the default export's fetch() answers every request.
export default {
  fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === "/") {
      return Response.json({ message: "Hello from hello-api", version: "1.0.0" });
    }
    if (url.pathname === "/echo" && req.method === "POST") {
      return req.json().then((body) => Response.json({ received: body }));
    }
    return Response.json({ error: `No route ${url.pathname}` }, { status: 404 });
  },
};
