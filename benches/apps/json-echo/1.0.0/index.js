// json-echo: parse the query and a JSON body, answer JSON built from both.
export default {
  async fetch(req) {
    const url = new URL(req.url);
    const query = Object.fromEntries(url.searchParams);
    const body = req.method === "POST" ? await req.json() : null;
    const items = Array.isArray(body?.items) ? body.items : [];
    const total = items.reduce((sum, item) => sum + item.qty * item.price, 0);
    return Response.json({ query, user: body?.user ?? null, count: items.length, total, echo: body });
  },
};
