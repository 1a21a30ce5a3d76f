// WebSocket echo, the same module for Buntime and for Bun.serve.
export default {
  fetch(req, server) {
    if (server.upgrade(req)) return;
    return new Response("websocket echo");
  },
  websocket: {
    message(ws, message) {
      ws.send(message);
    },
  },
};
