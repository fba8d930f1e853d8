import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

// The baseline: the least a Node HTTP server can do for the same request (read, parse JSON, answer 202).
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { ticket_id: string };
    res.writeHead(202, { "content-type": "application/json" });
    res.end(JSON.stringify({ ticket_id: body.ticket_id, job_id: "job", message: "Accepted for processing" }));
  });
});
server.listen(0, "127.0.0.1", () => console.log(`PORT ${(server.address() as AddressInfo).port}`));
