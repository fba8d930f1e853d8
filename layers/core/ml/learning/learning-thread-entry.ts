// The learning thread (learning-thread.ts): runs each task it is sent, answers by id. Bundled as
// learning-thread-entry.mjs beside the image's handlers.
import { parentPort } from "node:worker_threads";
import { runLearningTask, type LearningTask } from "./learning-thread.js";

parentPort?.on("message", ({ id, task }: { id: number; task: LearningTask }) => {
  runLearningTask(task).then(
    (result) => parentPort!.postMessage({ id, result }),
    (err: unknown) => parentPort!.postMessage({ id, error: String((err as Error)?.stack ?? err) }),
  );
});
