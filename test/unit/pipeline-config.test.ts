import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../layers/core/config.js";

describe("worker pipeline settings", () => {
  it("default to two batches in flight and a cache of 1,024 embeddings", () => {
    expect(loadConfig({})).toMatchObject({ WORKER_BATCHES_IN_FLIGHT: 2, EMBEDDING_CACHE_SIZE: 1024 });
    expect(loadConfig({ WORKER_BATCHES_IN_FLIGHT: "", EMBEDDING_CACHE_SIZE: "" })).toMatchObject({ WORKER_BATCHES_IN_FLIGHT: 2, EMBEDDING_CACHE_SIZE: 1024 });
    expect(loadConfig({ WORKER_BATCHES_IN_FLIGHT: "1", EMBEDDING_CACHE_SIZE: "0" })).toMatchObject({ WORKER_BATCHES_IN_FLIGHT: 1, EMBEDDING_CACHE_SIZE: 0 });
  });

  it("reads deeper batches from a deep main lane, never shallower than a batch", () => {
    expect(loadConfig({})).toMatchObject({ WORKER_BATCH_SIZE: 32, WORKER_DEEP_BATCH_SIZE: 256 });
    expect(loadConfig({ WORKER_DEEP_BATCH_SIZE: "32" })).toMatchObject({ WORKER_BATCH_SIZE: 32, WORKER_DEEP_BATCH_SIZE: 32 });
    expect(loadConfig({ WORKER_BATCH_SIZE: "8", WORKER_DEEP_BATCH_SIZE: "8" })).toMatchObject({ WORKER_BATCH_SIZE: 8, WORKER_DEEP_BATCH_SIZE: 8 });
    expect(() => loadConfig({ WORKER_BATCH_SIZE: "64", WORKER_DEEP_BATCH_SIZE: "32" })).toThrow(/WORKER_DEEP_BATCH_SIZE=.*at least WORKER_BATCH_SIZE/);
  });

  it.each([
    ["WORKER_DEEP_BATCH_SIZE", "0"],
    ["WORKER_DEEP_BATCH_SIZE", "513"],
    ["WORKER_BATCHES_IN_FLIGHT", "0"],
    ["WORKER_BATCHES_IN_FLIGHT", "5"],
    ["WORKER_BATCHES_IN_FLIGHT", "1.5"],
    ["WORKER_BATCHES_IN_FLIGHT", "two"],
    ["EMBEDDING_CACHE_SIZE", "-1"],
    ["EMBEDDING_CACHE_SIZE", "100001"],
    ["EMBEDDING_CACHE_SIZE", "lots"],
  ])("stops on %s=%s naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}=`));
  });
});
