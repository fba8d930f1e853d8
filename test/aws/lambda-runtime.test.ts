import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { awsClientConfig, startMoto, type Moto } from "../../tools/aws-local/moto.js";

// functions/lambda/runtime.ts as a Lambda function uses it: its environment from the template, its secret from
// Secrets Manager (moto) through the real SDK and Powertools.
let moto: Moto;
let secrets: SecretsManagerClient;
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  secrets = new SecretsManagerClient(awsClientConfig(moto.endpoint));
}, 180_000);
afterAll(async () => {
  process.env = saved;
  secrets?.destroy();
  await moto?.stop(); // already stopped by the last test, unless it failed first
});

async function lambdaModule(secret: Record<string, string>, ttlSeconds: string) {
  const { ARN } = await secrets.send(new CreateSecretCommand({ Name: `s-${Date.now()}-${Math.random()}`, SecretString: JSON.stringify(secret) }));
  process.env = {
    ...saved,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    SECRETS_ARN: ARN!,
    SECRETS_TTL_SECONDS: ttlSeconds,
    UPSTASH_REDIS_REST_URL: "https://example.upstash.io",
    QUEUE_URL: `${moto.endpoint}/123456789012/intake`,
    FLOOD_QUEUE_URL: `${moto.endpoint}/123456789012/intake-flood`,
    EVENT_BUS_NAME: "bus",
  };
  vi.resetModules(); // a fresh execution environment: module scope runs again
  const mod = await import("../../functions/lambda/runtime.js");
  return { arn: ARN!, getRuntime: mod.getRuntime };
}

describe("the Lambda runtime's secret", () => {
  it("is read again after SECRETS_TTL_SECONDS, and a changed value takes effect without a cold start", async () => {
    const { arn, getRuntime } = await lambdaModule({ UPSTASH_REDIS_REST_TOKEN: "t1", API_KEY: "first-key" }, "1");
    const first = await getRuntime();
    expect(first.config.API_KEY).toBe("first-key");
    await secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ UPSTASH_REDIS_REST_TOKEN: "t1", API_KEY: "rotated-key" }) }));
    expect((await getRuntime()).config.API_KEY).toBe("first-key"); // within the TTL: the cached values
    await new Promise((r) => setTimeout(r, 1100));
    const second = await getRuntime();
    expect(second.config.API_KEY).toBe("rotated-key");
    expect(second).not.toBe(first);
  });

  it("refuses the placeholder at start-up, naming the variable", async () => {
    const { getRuntime } = await lambdaModule({ UPSTASH_REDIS_REST_TOKEN: "set-me" }, "300");
    await expect(getRuntime()).rejects.toThrow(/UPSTASH_REDIS_REST_TOKEN=\(hidden\): is still the placeholder "set-me"/);
  });
  it("keeps the values it has when Secrets Manager cannot be reached after start-up", async () => {
    const { getRuntime } = await lambdaModule({ UPSTASH_REDIS_REST_TOKEN: "t1", API_KEY: "kept" }, "0");
    const first = await getRuntime();
    await moto.stop(); // Secrets Manager away (last test: the SDK client of this process keeps moto's address)
    expect(await getRuntime()).toBe(first);
  }, 60_000);

});
