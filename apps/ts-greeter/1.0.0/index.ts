// A TypeScript app: types are stripped when the module loads.
import { type Greeting, greet } from "./greeting.ts";

const visits = new Map<string, number>();

export default {
  fetch(req: Request): Response {
    const name = new URL(req.url).searchParams.get("name") ?? "world";
    const count = (visits.get(name) ?? 0) + 1;
    visits.set(name, count);
    const greeting: Greeting = greet(name, count);
    return Response.json(greeting);
  },
};
