// MiniLmEncoder.work: what `npm run bench models` reads to compare the pipeline's forward passes with the same
// passes run alone. The real model in its real thread; nothing here is timed against a bound.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../layers/core/config.js";
import { MiniLmEncoder } from "../../layers/core/ml/encoder.js";

describe("the encoder's count of its forward passes", () => {
  it("counts each pass, the padded tokens it carried, and only its own time in the thread (not its wait for the session)", async () => {
    // An encoder of its own (not the process's shared one, which other tests use meanwhile); int8, one thread:
    // the counting does not depend on either.
    const encoder = await MiniLmEncoder.load(join(loadConfig({}).MODELS_DIR, "minilm"), 1, "model.int8.onnx", 1);
    expect(encoder.work).toEqual({ passes: 0, paddedTokens: 0, passMs: 0 });
    const short = encoder.tokenize("Refund please");
    const long = encoder.tokenize("The invoice for March lists a seat we removed in February; please correct it and refund the difference.");
    expect(long.length).toBeGreaterThan(short.length);

    // Three passes sent at once to the one session: the second and third wait for it. Run one after another,
    // their times in the thread add up to no more than the time all three took.
    const t0 = performance.now();
    await Promise.all([encoder.embedTokens([short, long]), encoder.embedTokens([long]), encoder.embedTokens([short])]);
    const wallMs = performance.now() - t0;

    expect(encoder.work.passes).toBe(3);
    // Each pass pads its texts to its longest one.
    expect(encoder.work.paddedTokens).toBe(2 * long.length + long.length + short.length);
    expect(encoder.work.passMs).toBeGreaterThan(0);
    expect(encoder.work.passMs).toBeLessThanOrEqual(wallMs);
  });
});
