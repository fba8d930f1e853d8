import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { SmartSupportStack } from "../../infra/stack.js";

/** `cdk synth` of the real app into a fresh folder: the template and every staged asset, bundles built. */
export function synthesize(): string {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "ss-cdk-out-")) });
  new SmartSupportStack(app, "SmartSupport");
  return app.synth().directory;
}
