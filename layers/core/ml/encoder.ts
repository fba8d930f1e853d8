import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";

import { EMBEDDING_DIM, MAX_TOKENS } from "./dimensions.js";

/** Turns texts into L2-normalised sentence embeddings, one forward pass per call. */
export interface Encoder {
  /** Token ids with [CLS]/[SEP], truncated to MAX_TOKENS. */
  tokenize(text: string): number[];
  /** One forward pass over already tokenised texts (padded to the longest). */
  embedTokens(ids: number[][]): Promise<Float32Array[]>;
  embed(texts: string[]): Promise<Float32Array[]>;
}

export class MiniLmEncoder implements Encoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly cls: number,
    private readonly sep: number,
  ) {}

  /** Loads `model.onnx`, `tokenizer.json` and `tokenizer_config.json` from `dir`. */
  static async load(dir: string, threads = 2): Promise<MiniLmEncoder> {
    const [tokenizerJson, configJson] = await Promise.all([
      readFile(join(dir, "tokenizer.json"), "utf8").then(JSON.parse),
      readFile(join(dir, "tokenizer_config.json"), "utf8").then(JSON.parse),
    ]);
    const tokenizer = new Tokenizer(tokenizerJson, configJson);
    const session = await ort.InferenceSession.create(join(dir, "model.onnx"), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
    const id = (t: string) => {
      const v = tokenizer.token_to_id(t);
      if (v === undefined) throw new Error(`tokenizer has no ${t} token`);
      return v;
    };
    return new MiniLmEncoder(session, tokenizer, id("[CLS]"), id("[SEP]"));
  }

  /** Cut to MAX_TOKENS as sentence-transformers does (the shipped tokenizer.json says 128). */
  tokenize(text: string): number[] {
    const body = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    return [this.cls, ...body.slice(0, MAX_TOKENS - 2), this.sep];
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    return this.embedTokens(texts.map((t) => this.tokenize(t)));
  }

  async embedTokens(encoded: number[][]): Promise<Float32Array[]> {
    if (encoded.length === 0) return [];
    const batch = encoded.length;
    const len = Math.max(...encoded.map((e) => e.length));
    const inputIds = new BigInt64Array(batch * len);
    const mask = new BigInt64Array(batch * len);
    encoded.forEach((ids, b) => {
      for (let i = 0; i < ids.length; i++) {
        inputIds[b * len + i] = BigInt(ids[i]!);
        mask[b * len + i] = 1n;
      }
    });
    const dims = [batch, len];
    const out = await this.session.run({
      input_ids: new ort.Tensor("int64", inputIds, dims),
      attention_mask: new ort.Tensor("int64", mask, dims),
      token_type_ids: new ort.Tensor("int64", new BigInt64Array(batch * len), dims),
    });
    const hidden = out.last_hidden_state!.data as Float32Array;
    return encoded.map((ids, b) => meanPoolNormalise(hidden, b, len, ids.length));
  }
}

/** Mean over the sequence's real tokens (padding sits after them), then unit length. */
function meanPoolNormalise(hidden: Float32Array, b: number, len: number, tokens: number): Float32Array {
  const v = new Float32Array(EMBEDDING_DIM);
  for (let t = 0; t < tokens; t++) {
    const base = (b * len + t) * EMBEDDING_DIM;
    for (let d = 0; d < EMBEDDING_DIM; d++) v[d]! += hidden[base + d]!;
  }
  let norm = 0;
  for (let d = 0; d < EMBEDDING_DIM; d++) norm += v[d]! * v[d]!;
  norm = Math.sqrt(norm) || 1;
  for (let d = 0; d < EMBEDDING_DIM; d++) v[d]! /= norm;
  return v;
}
