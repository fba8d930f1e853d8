import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../layers/core/config.js";

describe("config", () => {
  it("takes the seed's defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      DEDUP_SIM_THRESHOLD: 0.9,
      DEDUP_MIN_COUNT: 10,
      DEDUP_WINDOW_SECONDS: 300,
      TRANSFORMER_LATENCY_MS: 500,
      CIRCUIT_COOLDOWN_SECONDS: 60,
      CIRCUIT_HALF_OPEN_PROBES: 3,
      ROUTING_LOAD_PENALTY_FACTOR: 0.1,
      PORT: 8000,
      HOST: "127.0.0.1",
      REDIS_PREFIX: "ss:",
      WEBHOOK_FORMAT: "generic",
    });
    expect(c.API_KEY).toBeUndefined();
  });

  it("reads numbers from strings and treats empty strings as unset", () => {
    const c = loadConfig({ DEDUP_SIM_THRESHOLD: "0.85", PORT: "", DEDUP_MIN_COUNT: "3" });
    expect(c.DEDUP_SIM_THRESHOLD).toBe(0.85);
    expect(c.DEDUP_MIN_COUNT).toBe(3);
    expect(c.PORT).toBe(8000);
  });

  it.each([
    ["DEDUP_SIM_THRESHOLD", "abc"],
    ["DEDUP_SIM_THRESHOLD", "1.5"],
    ["DEDUP_MIN_COUNT", "2.5"],
    ["PORT", "70000"],
    ["WEBHOOK_FORMAT", "teams"],
    ["WEBHOOK_URL", "not a url"],
    ["REDIS_URL", "nope"],
    ["CIRCUIT_HALF_OPEN_PROBES", "0"],
  ])("stops on %s=%s naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}=`));
  });

  it("names every bad variable at once", () => {
    const err = (() => {
      try {
        loadConfig({ DEDUP_SIM_THRESHOLD: "abc", TRANSFORMER_LATENCY_MS: "-1" });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toContain("DEDUP_SIM_THRESHOLD");
    expect(err?.message).toContain("TRANSFORMER_LATENCY_MS");
  });

  it("requires Upstash URL and token together", () => {
    expect(() => loadConfig({ UPSTASH_REDIS_REST_URL: "https://x.upstash.io" })).toThrow(/UPSTASH_REDIS_REST_TOKEN/);
  });
});
