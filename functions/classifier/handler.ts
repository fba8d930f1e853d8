import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { ModelRuntime } from "../../layers/core/runtime.js";
import { processRecords } from "../../layers/core/services/processor.js";

/** One queue batch in, the records to retry out (SQS partial batch response). */
export const classifierHandler =
  (rt: ModelRuntime) =>
  (event: SQSEvent): Promise<SQSBatchResponse> =>
    processRecords(rt, event.Records);
