/** A vector to rank, under the id of the ticket it stands for. */
export interface Candidate {
  id: string;
  vector: ArrayLike<number>;
}

export interface Ranked<T extends Candidate> {
  candidate: T;
  cosine: number;
}

/**
 * The `k` candidates most similar to `query` by cosine, best first (equal cosines: smaller id first). An id
 * in `exclude` is skipped, and so is an id seen before: the first candidate of an id stands for it, so a
 * caller lists its preferred source first. Zero vectors have cosine 0. One pass, O(n·(dim + k)).
 */
export function topByCosine<T extends Candidate>(query: ArrayLike<number>, candidates: Iterable<T>, k: number, exclude: ReadonlySet<string> = new Set()): Ranked<T>[] {
  const qNorm = Math.sqrt(dotSelf(query));
  const seen = new Set<string>();
  const best: Ranked<T>[] = [];
  if (k <= 0) return best;
  for (const c of candidates) {
    if (exclude.has(c.id) || seen.has(c.id)) continue;
    seen.add(c.id);
    const cosine = cosineWithNorm(query, qNorm, c.vector);
    if (best.length === k && !before(cosine, c.id, best[k - 1]!)) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && before(cosine, c.id, best[at - 1]!)) at--;
    best.splice(at, 0, { candidate: c, cosine });
    if (best.length > k) best.pop();
  }
  return best;
}

const before = (cosine: number, id: string, other: Ranked<Candidate>) =>
  cosine > other.cosine || (cosine === other.cosine && id < other.candidate.id);

function dotSelf(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return s;
}

function cosineWithNorm(q: ArrayLike<number>, qNorm: number, v: ArrayLike<number>): number {
  let dot = 0;
  let vv = 0;
  for (let i = 0; i < q.length; i++) {
    dot += q[i]! * v[i]!;
    vv += v[i]! * v[i]!;
  }
  const norms = qNorm * Math.sqrt(vv);
  return norms ? dot / norms : 0;
}
