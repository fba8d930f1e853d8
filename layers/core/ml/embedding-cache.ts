/**
 * The embeddings of the last few distinct texts the encoder ran on, least recently used out first: a flood
 * repeats itself across batches, and a text seen moments ago need not take a forward pass again. Keyed by
 * token ids (what the encoder sees: two texts whose first MAX_TOKENS tokens agree have one embedding), so
 * the key is bounded however long the text.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, Float32Array>();

  constructor(readonly capacity: number) {}

  static key(ids: readonly number[]): string {
    return ids.join(",");
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Float32Array | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(key);
    this.entries.set(key, v);
    return v;
  }

  set(key: string, embedding: Float32Array): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, embedding);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
