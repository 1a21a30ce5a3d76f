// Static apps: files served from the entrypoint's folder, the entrypoint
// itself for `/` and for any path that is not a file (SPA fallback). The
// Rust op confines every path to the app folder.
import { op_buntime_respond_error, op_buntime_respond_file } from "ext:core/ops";

const jsonError = (id, status, message) => op_buntime_respond_error(id, status, message);

/** `headers`: the request's headers as a flat [name, value, ...] list. */
export async function serveStatic(id, method, pathname, entryName, headers) {
  if (method !== "GET" && method !== "HEAD") {
    return jsonError(id, 405, `Method ${method} not allowed on a static site`);
  }
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return jsonError(id, 400, "Malformed percent-encoding in path");
  }
  if (path === "/" || path === "") path = entryName;
  let ifNoneMatch = "";
  let ifModifiedSince = "";
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === "if-none-match") ifNoneMatch = headers[i + 1];
    else if (headers[i] === "if-modified-since") ifModifiedSince = headers[i + 1];
  }
  const respondFile = (file) => op_buntime_respond_file(id, file, ifNoneMatch, ifModifiedSince);
  let outcome = await respondFile(path);
  if (outcome === "dir") {
    outcome = await respondFile(`${path}/index.html`);
  }
  if (outcome === "forbidden") {
    return jsonError(id, 403, "Path is outside the app folder");
  }
  if (outcome !== "served") {
    outcome = await respondFile(entryName);
    if (outcome !== "served") jsonError(id, 404, `Not found: ${pathname}`);
  }
}
