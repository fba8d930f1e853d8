import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startSystem } from "../support/runtime.js";

// fetch() would resolve `..` and `.` before sending; node:http sends the path exactly as written.
function raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const url = new URL(sys.base);
  return new Promise<{ status: number; json: any }>((done, fail) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: { "content-type": "application/json", ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          let json: unknown = undefined;
          try {
            json = JSON.parse(text);
          } catch {
            // not JSON (the dashboard's HTML)
          }
          done({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on("error", fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

let sys: Awaited<ReturnType<typeof startSystem>>;
beforeAll(async () => {
  sys = await startSystem({ API_KEY: "paths-key" });
});
afterAll(async () => {
  await sys?.close();
});

describe("path segments", () => {
  it.each([
    ["GET", "/tickets/%", "%"],
    ["GET", "/tickets/%zz", "%zz"],
    ["GET", "/agents/%ff", "%ff"],
    ["GET", "/agents/%E2%82/tickets", "%E2%82"],
    ["POST", "/incidents/%zz/resolve", "%zz"],
  ])("%s %s → 400 naming the segment", async (method, path, segment) => {
    const r = await raw(method, path, undefined, { authorization: "Bearer paths-key" });
    expect(r.status).toBe(400);
    expect(r.json.detail).toContain(`'${segment}'`);
    expect(r.json.detail).toMatch(/percent-encoding/);
  });

  it.each([
    ["..", ["/tickets/..", "/tickets/%2E%2E", "/tickets/.%2e"]],
    [".", ["/tickets/.", "/tickets/%2E"]],
    ["a.b..", ["/tickets/a.b..", "/tickets/a.b%2E."]],
  ])("the ticket %j is read back through its path (%j)", async (id, paths) => {
    expect((await raw("POST", "/tickets", { ticket_id: id, subject: "Dots", body: "A ticket whose id is dots" })).status).toBe(202);
    for (const path of paths) {
      const r = await raw("GET", path);
      expect(r.status, path).toBe(200);
      expect(r.json.ticket_id, path).toBe(id);
    }
  });

  it("keeps %2F inside its parameter and decodes %25 exactly once", async () => {
    expect((await raw("POST", "/tickets", { ticket_id: "A", subject: "Plain", body: "A plain ticket" })).status).toBe(202);
    await eventually(async () => (await raw("GET", "/tickets/A")).status === 200);
    // %2541 is the id "%41", not "A" (that would be decoding twice).
    const once = await raw("GET", "/tickets/%2541");
    expect(once.status).toBe(404);
    expect(once.json.detail).toContain("%41");
    // a%2Fb is the one id "a/b" on the ticket route; a/b is another path (no route).
    const slash = await raw("GET", "/tickets/a%2Fb");
    expect(slash.status).toBe(404);
    expect(slash.json.detail).toContain("a/b");
    expect((await raw("GET", "/tickets/a/b")).json.detail).toMatch(/No route/);
    // An agent id with an encoded slash stays one parameter of /agents/{agent_id}/tickets.
    const agent = await raw("GET", "/agents/x%2Fy/tickets");
    expect(agent.status).toBe(404);
    expect(agent.json.detail).toContain("x/y");
  });

  it("does not let dot segments reach another route or file", async () => {
    for (const path of ["/tickets/../queue", "/agents/../tickets/next", "/assets/..", "/assets/%2E%2E", "/assets/..%2F..%2Fpackage.json", "/assets/..%5Cindex.html"]) {
      const r = await raw("GET", path);
      expect(r.status, path).toBe(404);
    }
    // /tickets/next keeps its own route; literal segments are compared as sent.
    expect((await raw("GET", "/tickets/next", undefined, { authorization: "Bearer paths-key" })).status).toBeOneOf([200, 404]);
  });
});
