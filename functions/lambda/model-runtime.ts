import { ModelRouter } from "../../layers/core/ml/model-router.js";
import { loadModels } from "../../layers/core/ml/models.js";
import { loadSimilarity } from "../../layers/core/ml/similarity.js";
import type { ModelRuntime } from "../../layers/core/runtime.js";
import { Deduplicator } from "../../layers/core/services/dedup/deduplicator.js";
import { buildRuntime, envConfig, logger, runtimeFromSecrets, type AwsRuntime } from "./runtime.js";

// Only the container-image functions import this module: it is what pulls onnxruntime into a bundle.

// The classifier is the model router itself: the Retrainer embeds corrections through its encoder lane.
export const getModelRuntime = runtimeFromSecrets((config): ModelRuntime & AwsRuntime & { classifier: ModelRouter } => {
  const rt = buildRuntime(config);
  const { redis, keys, bus } = rt;
  return {
    ...rt,
    classifier: new ModelRouter({ config, redis, keys, bus, logger, models: () => loadModels(config.MODELS_DIR, config.ENCODER_THREADS, config.ENCODER_PRECISION, config.ENCODER_SESSIONS) }),
    dedup: new Deduplicator({ config, redis, keys }, () => loadSimilarity(config.MODELS_DIR, config.ENCODER_THREADS)),
  };
});

/**
 * Loads and warms the encoder, heads and similarity graph during the function's init phase (module scope, outside
 * any handler), so no invocation pays for it; both are cached per process and reused by every runtime.
 */
export async function warmModels(): Promise<void> {
  const started = performance.now();
  const [models] = await Promise.all([
    loadModels(envConfig.MODELS_DIR, envConfig.ENCODER_THREADS, envConfig.ENCODER_PRECISION, envConfig.ENCODER_SESSIONS),
    loadSimilarity(envConfig.MODELS_DIR, envConfig.ENCODER_THREADS),
  ]);
  logger.info("model loaded", { initMs: Math.round(performance.now() - started), msPerToken: models.msPerToken, modelsDir: envConfig.MODELS_DIR, precision: envConfig.ENCODER_PRECISION });
}
