import { App, Aspects } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { SmartSupportStack } from "./stack.js";

// Environment-agnostic: no account/region look-ups, so `cdk synth` runs offline.
const app = new App();
// `-c stage=staging` deploys a second copy as the stack SmartSupport-staging; every name follows the stack name.
const stage = app.node.tryGetContext("stage") as string | undefined;
new SmartSupportStack(app, stage ? `SmartSupport-${stage}` : "SmartSupport", {
  description: "Smart-Support: support-ticket intake, classification, dedup and routing",
});
// cdk-nag's AwsSolutions pack: an unsuppressed finding fails `cdk synth`/`cdk deploy` (suppressions, each with
// its reason, sit beside their resources in stack.ts). test/infra/stack.test.ts runs the same checks.
Aspects.of(app).add(new AwsSolutionsChecks({ reports: false }));
app.synth();
