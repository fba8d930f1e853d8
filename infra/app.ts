import { App } from "aws-cdk-lib";
import { SmartSupportStack } from "./stack.js";

// Environment-agnostic: no account/region look-ups, so `cdk synth` runs offline.
const app = new App();
new SmartSupportStack(app, "SmartSupport", {
  description: "Smart-Support: support-ticket intake, classification, dedup and routing",
});
app.synth();
