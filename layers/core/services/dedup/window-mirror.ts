import { quantize, WINDOW_LEVELS } from "../../domain/quantize.js";
import type { WindowView } from "../../ml/similarity.js";

/** Packs a vector for Redis (and Upstash's REST API): base64 of its float32 bytes. */
export const packVector = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
export function unpackVector(s: string): Float32Array {
  const b = Buffer.from(s, "base64");
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/**
 * One space (semantic or lexical) of the worker-local copy of the dedup window: ticket ids, log times, and
 * the vectors twice — float32 for exact checks, int8 (stored +128, with a scale per row) for the fast search —
 * in contiguous matrices, oldest first, so a search hands the window to onnxruntime without copying and
 * expiry only moves a start index.
 */
export class SpaceMirror {
  private data: Float32Array;
  private quant: Uint8Array;
  private scales: Float32Array;
  // Running maxima over every row held since the mirror began: a bound that is never too small.
  private maxScale = 0;
  private maxL1 = 0;
  private ids: string[] = [];
  private times: number[] = [];
  private start = 0;
  // Row of each live id, counted from the mirror's beginning (rows dropped by compaction included).
  private readonly rowOf = new Map<string, number>();
  private dropped = 0;

  constructor(readonly dim: number) {
    this.data = new Float32Array(1024 * dim);
    this.quant = new Uint8Array(1024 * dim);
    this.scales = new Float32Array(1024);
  }

  get size() {
    return this.ids.length - this.start;
  }

  add(id: string, timeMs: number, v: Float32Array) {
    if (this.rowOf.has(id) || v.length !== this.dim) return; // a redelivered ticket is in once
    const row = this.ids.length;
    if ((row + 1) * this.dim > this.data.length) this.grow(row + 1);
    this.data.set(v, row * this.dim);
    const { q, scale, l1 } = quantize(v, WINDOW_LEVELS);
    for (let i = 0; i < this.dim; i++) this.quant[row * this.dim + i] = q[i]! + 128;
    this.scales[row] = scale;
    this.maxScale = Math.max(this.maxScale, scale);
    this.maxL1 = Math.max(this.maxL1, l1);
    this.ids.push(id);
    this.times.push(timeMs);
    this.rowOf.set(id, this.dropped + row);
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** A copy of the vector of a live window ticket. */
  get(id: string): Float32Array | undefined {
    const at = this.rowOf.get(id);
    if (at === undefined) return undefined;
    const row = at - this.dropped;
    return this.data.slice(row * this.dim, (row + 1) * this.dim);
  }

  /** Forgets entries logged before `cutoffMs` (the log is in time order, so they are at the front). */
  expire(cutoffMs: number) {
    while (this.start < this.ids.length && this.times[this.start]! < cutoffMs) {
      this.rowOf.delete(this.ids[this.start]!);
      this.start++;
    }
    if (this.start > 1024 && this.start * 2 > this.ids.length) this.compact();
  }

  /** The live window as one matrix (rows × dim) and its ids, row for row. */
  view(): WindowView & { idAt(row: number): string } {
    const start = this.start;
    const end = this.ids.length;
    return {
      dim: this.dim,
      rows: this.size,
      vectors: this.data.subarray(start * this.dim, end * this.dim),
      quantized: this.quant.subarray(start * this.dim, end * this.dim),
      scales: this.scales.subarray(start, end),
      maxScale: this.maxScale,
      maxL1: this.maxL1,
      idAt: (row) => this.ids[start + row]!,
    };
  }

  private grow(rows: number) {
    const capacity = Math.max(rows, this.scales.length * 2);
    const data = new Float32Array(capacity * this.dim);
    data.set(this.data);
    const quant = new Uint8Array(capacity * this.dim);
    quant.set(this.quant);
    const scales = new Float32Array(capacity);
    scales.set(this.scales);
    [this.data, this.quant, this.scales] = [data, quant, scales];
  }

  private compact() {
    const [from, to] = [this.start, this.ids.length];
    this.data.copyWithin(0, from * this.dim, to * this.dim);
    this.quant.copyWithin(0, from * this.dim, to * this.dim);
    this.scales.copyWithin(0, from, to);
    this.ids = this.ids.slice(from);
    this.times = this.times.slice(from);
    this.dropped += from;
    this.start = 0;
  }
}

/**
 * The worker's copy of the window, one matrix per kind of vector, so each comparison DESIGN §5 asks for is
 * one exact search: `semantic` the embeddings, `lexical` the lexical signatures of the tickets that have no
 * embedding, `shadow` the lexical signatures of those that have one (searched by tickets without one).
 */
export interface WindowMirror {
  semantic: SpaceMirror;
  lexical: SpaceMirror;
  shadow: SpaceMirror;
}
