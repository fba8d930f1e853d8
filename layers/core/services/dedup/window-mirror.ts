import type { DedupSpace } from "../../domain/dedup.js";

/** Packs a vector for Redis (and Upstash's REST API): base64 of its float32 bytes. */
export const packVector = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
export function unpackVector(s: string): Float32Array {
  const b = Buffer.from(s, "base64");
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/**
 * One space (semantic or lexical) of the worker-local copy of the dedup window: ticket ids, log times and
 * vectors in one contiguous matrix, oldest first, so a search hands the whole window to onnxruntime
 * without copying and expiry only moves a start index.
 */
export class SpaceMirror {
  private data: Float32Array;
  private ids: string[] = [];
  private times: number[] = [];
  private start = 0;
  private readonly present = new Set<string>();

  constructor(readonly dim: number) {
    this.data = new Float32Array(1024 * dim);
  }

  get size() {
    return this.ids.length - this.start;
  }

  has(id: string) {
    return this.present.has(id);
  }

  add(id: string, timeMs: number, v: Float32Array) {
    if (this.present.has(id) || v.length !== this.dim) return; // a redelivered ticket is in once
    const row = this.ids.length;
    if ((row + 1) * this.dim > this.data.length) this.grow(row + 1);
    this.data.set(v, row * this.dim);
    this.ids.push(id);
    this.times.push(timeMs);
    this.present.add(id);
  }

  /** Forgets entries logged before `cutoffMs` (the log is in time order, so they are at the front). */
  expire(cutoffMs: number) {
    while (this.start < this.ids.length && this.times[this.start]! < cutoffMs) {
      this.present.delete(this.ids[this.start]!);
      this.start++;
    }
    if (this.start > 1024 && this.start * 2 > this.ids.length) this.compact();
  }

  /** The live window as one matrix (rows × dim) and its ids, row for row. */
  view(): { matrix: Float32Array; rows: number; idAt(row: number): string } {
    const start = this.start;
    return {
      matrix: this.data.subarray(start * this.dim, this.ids.length * this.dim),
      rows: this.size,
      idAt: (row) => this.ids[start + row]!,
    };
  }

  private grow(rows: number) {
    const next = new Float32Array(Math.max(rows, (this.data.length / this.dim) * 2) * this.dim);
    next.set(this.data);
    this.data = next;
  }

  private compact() {
    this.data.copyWithin(0, this.start * this.dim, this.ids.length * this.dim);
    this.ids = this.ids.slice(this.start);
    this.times = this.times.slice(this.start);
    this.start = 0;
  }
}

export type WindowMirror = Record<DedupSpace, SpaceMirror>;
