/** ROC-AUC by the rank-sum formula (ties count half): the chance a random positive outscores a random negative. */
export function rocAuc(scores: number[], labels: (0 | 1)[]): number {
  let pos = 0;
  let neg = 0;
  let wins = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    pos++;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  for (const l of labels) if (l === 0) neg++;
  return pos && neg ? wins / (pos * neg) : Number.NaN;
}

export const accuracy = <T>(predicted: T[], truth: T[]) =>
  predicted.filter((p, i) => p === truth[i]).length / truth.length;
