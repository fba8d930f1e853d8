/**
 * onnxruntime session options of the encoder (and, for `extra`, of the similarity search).
 *
 * Spinning off: by default onnxruntime's threads spin between (and after) the parallel parts of a pass rather
 * than sleep. On 2 cores shared with the main thread (Redis replies, dedup, routing), redis-server and other
 * processes, a spinning thread holds the core a preempted one needs, and every parallel part waits for the
 * preempted one. Measured with the worker pipeline on the 2-core machine under other load (alternating short
 * runs of 300 tickets): medians 27–34 tickets/s spinning, 43–46 not.
 */
export const ORT_OPTIONS = {
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
  extra: { session: { intra_op: { allow_spinning: "0" } } },
} as const;
