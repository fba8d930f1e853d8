import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../layers/core/config.js";

describe("offer settings", () => {
  it("default to the seed's immediate assignment, with a 120 s offer timeout when offers are on", () => {
    expect(loadConfig({})).toMatchObject({ ROUTING_OFFERS: false, ROUTING_OFFER_TIMEOUT_SECONDS: 120 });
    expect(loadConfig({ ROUTING_OFFERS: "", ROUTING_OFFER_TIMEOUT_SECONDS: "" })).toMatchObject({ ROUTING_OFFERS: false, ROUTING_OFFER_TIMEOUT_SECONDS: 120 });
    expect(loadConfig({ ROUTING_OFFERS: "true", ROUTING_OFFER_TIMEOUT_SECONDS: "1.5" })).toMatchObject({ ROUTING_OFFERS: true, ROUTING_OFFER_TIMEOUT_SECONDS: 1.5 });
    expect(loadConfig({ ROUTING_OFFERS: "false" }).ROUTING_OFFERS).toBe(false);
  });

  it.each([
    ["ROUTING_OFFERS", "yes"],
    ["ROUTING_OFFERS", "1"],
    ["ROUTING_OFFER_TIMEOUT_SECONDS", "0"],
    ["ROUTING_OFFER_TIMEOUT_SECONDS", "-5"],
    ["ROUTING_OFFER_TIMEOUT_SECONDS", "soon"],
  ])("stops on %s=%s naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}=`));
  });
});
