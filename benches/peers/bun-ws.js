// Bun serving the same WebSocket echo module directly (the peer).
import app from "../apps/ws-echo/1.0.0/index.js";
Bun.serve({ port: Number(process.env.PORT ?? 18401), fetch: app.fetch, websocket: app.websocket });
