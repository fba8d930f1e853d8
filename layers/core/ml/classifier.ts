import { classifyBaseline, type Classification } from "../domain/classification.js";

/** Classifies a batch of ticket texts in one call; every result names the model that produced it. */
export interface Classifier {
  classify(texts: string[]): Promise<Classification[]>;
}

export const baselineClassifier: Classifier = {
  classify: async (texts) => texts.map(classifyBaseline),
};
