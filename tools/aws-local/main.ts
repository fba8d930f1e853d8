// `npm run aws:local`: the AWS rehearsal on http://HOST:PORT, from the cloud assembly `npm run synth` wrote.
import { loadSettings } from "../../layers/core/config.js";
import { startRehearsal } from "./rehearsal.js";

const settings = loadSettings(["REDIS_URL", "HOST", "PORT", "WEBHOOK_URL", "WEBHOOK_SECRET"]);
const rehearsal = await startRehearsal({
  cdkOut: process.env.CDK_OUT ?? "cdk.out",
  redisUrl: settings.REDIS_URL,
  port: settings.PORT,
  host: settings.HOST,
  // What a user puts into the stack's secret after deploying; the Upstash token is the stand-in's.
  secret: { WEBHOOK_URL: settings.WEBHOOK_URL ?? "", WEBHOOK_SECRET: settings.WEBHOOK_SECRET ?? "" },
  visibilityTimeoutSeconds: 10,
});
console.log(`AWS rehearsal of ${rehearsal.assembly.stackName}: ${rehearsal.functions.size} functions from ${rehearsal.assembly.dir}
  API (API Gateway HTTP API)  ${rehearsal.url}
  API key (the stack's secret) ${rehearsal.secret.API_KEY ?? "(none)"}   — send "Authorization: Bearer <key>" on mutating routes
  function logs               ${rehearsal.logDir}
  moto (SQS, EventBridge, Secrets Manager) ${rehearsal.moto.endpoint}
Ctrl-C stops it.`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void rehearsal.stop().then(() => process.exit(0));
  });
}
