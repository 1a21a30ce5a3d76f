// Static apps: files served from the entrypoint's folder, the entrypoint
// itself for `/` and for any path that is not a file (SPA fallback). The
// Rust op confines every path to the app folder.
import { op_exchange_fail, op_file_respond } from "ext:core/ops";

// The kind decides the status (the front end maps it).
const jsonError = (id, kind, message) => op_exchange_fail(id, kind, message);

/** The conditional headers are read by the op, where the request waits. */
export async function serveStatic(id, method, pathname, entryName) {
  if (method !== "GET" && method !== "HEAD") {
    return jsonError(id, "method_not_allowed", `Method ${method} not allowed on a static site`);
  }
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return jsonError(id, "bad_request", "Malformed percent-encoding in path");
  }
  if (path === "/" || path === "") path = entryName;
  const respondFile = (file) => op_file_respond(id, file);
  let outcome = await respondFile(path);
  if (outcome === "dir") {
    outcome = await respondFile(`${path}/index.html`);
  }
  if (outcome === "forbidden") {
    return jsonError(id, "forbidden", "Path is outside the app folder");
  }
  if (outcome !== "served") {
    outcome = await respondFile(entryName);
    if (outcome !== "served") jsonError(id, "not_found", `Not found: ${pathname}`);
  }
}
