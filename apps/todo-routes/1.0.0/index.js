// A Bun.serve-style `routes` table: static responses, :params, per-method
// handlers and a wildcard, with fetch() as the fallback.
const todos = new Map([[1, { id: 1, title: "Try Buntime", done: false }]]);
let nextId = 2;

export default {
  routes: {
    "/": new Response("todo-routes: GET /todos, POST /todos, GET /todos/:id"),
    "/todos": {
      GET: () => Response.json([...todos.values()]),
      POST: async (req) => {
        const { title } = await req.json();
        const todo = { id: nextId++, title: String(title ?? ""), done: false };
        todos.set(todo.id, todo);
        return Response.json(todo, { status: 201 });
      },
    },
    "/todos/:id": (req) => {
      const todo = todos.get(Number(req.params.id));
      return todo ? Response.json(todo) : Response.json({ error: "No such todo" }, { status: 404 });
    },
    "/files/*": (req) => new Response(`wildcard: ${new URL(req.url).pathname}`),
  },
  fetch(req) {
    return Response.json({ error: `No route ${new URL(req.url).pathname}` }, { status: 404 });
  },
};
