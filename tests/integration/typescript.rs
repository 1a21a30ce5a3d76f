//! TypeScript modules load unchanged: types stripped on load.

use crate::harness::{Apps, Server};

#[tokio::test]
async fn a_typescript_app_with_types_enums_and_type_imports_runs() {
  let apps = Apps::new();
  apps
    .file(
      "ts/1.0.0/index.ts",
      r#"import type { Greeting } from "./types.ts";
import { Mood, shout } from "./util.ts";

interface Counter { n: number }
const counter: Counter = { n: 0 };

function greet<T extends string>(name: T, mood: Mood = Mood.Happy): Greeting {
  return { text: `Hello, ${name}`, mood: Mood[mood] };
}

export default {
  fetch(req: Request): Response {
    counter.n++;
    const name = new URL(req.url).searchParams.get("name") ?? "world";
    const greeting = greet(name);
    return Response.json({ ...greeting, loud: shout(greeting.text), count: counter.n } satisfies Record<string, unknown>);
  },
};
"#,
    )
    .file("ts/1.0.0/types.ts", "export interface Greeting { text: string; mood: string }\n")
    .file(
      "ts/1.0.0/util.ts",
      "export enum Mood { Happy, Grumpy }\nexport const shout = (s: string): string => s.toUpperCase() as string;\n",
    );
  let server = Server::start(&apps);
  let json = server.get("/ts?name=Ada").await.json();
  assert_eq!(
    json,
    serde_json::json!({ "text": "Hello, Ada", "mood": "Happy", "loud": "HELLO, ADA", "count": 1 })
  );
}

#[tokio::test]
async fn typescript_syntax_errors_name_the_file_line_and_column() {
  let apps = Apps::new();
  apps.file(
    "bad/1.0.0/index.ts",
    "export default {\n  fetch(): Response {\n    return new Response(\"x\"\n  }\n};\n",
  );
  apps.js(
    "good/1.0.0",
    "export default { fetch() { return new Response('good') } }",
  );
  let server = Server::start(&apps);
  let reply = server.get("/bad").await;
  assert_eq!(reply.status, 500);
  let error = reply.error();
  assert!(error.contains("index.ts:4:"), "{error}");
  assert_eq!(server.get("/good").await.body, "good");
}

#[tokio::test]
async fn stack_traces_point_at_typescript_lines() {
  let apps = Apps::new();
  apps.file(
    "trace/1.0.0/index.ts",
    "type Id = number;\n\nconst id: Id = 1;\n\nexport default {\n  fetch(): Response {\n    throw new Error(`failed ${id}`);\n  },\n};\n",
  );
  // The same app in development: its stack reaches the client too.
  apps.file(
    "trace-dev/1.0.0/index.ts",
    "type Id = number;\n\nconst id: Id = 1;\n\nexport default {\n  fetch(): Response {\n    throw new Error(`failed ${id}`);\n  },\n};\n",
  );
  apps.file(
    "trace-dev/1.0.0/worker.config.json",
    r#"{ "env": { "NODE_ENV": "development" } }"#,
  );
  let server = Server::start(&apps);
  let error = server.get("/trace").await.error();
  assert_eq!(error, "Error: failed 1", "the stack stays in the log");
  let error = server.get("/trace-dev").await.error();
  assert!(error.contains("Error: failed 1"), "{error}");
  assert!(
    error.contains("index.ts:7:"),
    "stack should point at line 7: {error}"
  );
  assert!(
    server.log().contains("index.ts:7:"),
    "the log keeps the stack"
  );
}
