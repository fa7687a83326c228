/**
 * Ranking metrics for anomaly scores against binary labels (1 = anomaly). Higher score = more
 * anomalous.
 */

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<number>): { pos: number; neg: number } {
  if (scores.length !== labels.length) throw new RangeError(`${scores.length} scores but ${labels.length} labels`);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l !== 0 && l !== 1) throw new RangeError(`label at index ${i} is ${l}, expected 0 or 1`);
    if (Number.isNaN(scores[i])) throw new RangeError(`score at index ${i} is NaN`);
    pos += l;
  }
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) throw new RangeError('AUC needs at least one positive and one negative label');
  return { pos, neg };
}

/** Indices sorted by ascending score. */
function argsortAscending(scores: ArrayLike<number>): Int32Array {
  const idx = new Int32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => scores[a] - scores[b]);
}

/**
 * ROC AUC via the Mann–Whitney U statistic: the probability that a random anomaly outscores a
 * random normal point, counting ties as one half (tied scores share their average rank).
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { pos, neg } = checkInputs(scores, labels);
  const idx = argsortAscending(scores);
  let rankSumPos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1; // 1-based ranks i+1..j+1
    for (let k = i; k <= j; k++) if (labels[idx[k]] === 1) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * PR AUC as average precision: AP = sum over distinct score thresholds (descending) of
 * (recall_t - recall_{t-1}) * precision_t. Tied scores form one threshold, so AP does not depend on
 * the order of tied items (same definition as scikit-learn's average_precision_score).
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { pos } = checkInputs(scores, labels);
  const idx = argsortAscending(scores).reverse();
  let tp = 0;
  let seen = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    for (let k = i; k <= j; k++) tp += labels[idx[k]];
    seen += j - i + 1;
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
    i = j + 1;
  }
  return ap;
}

/** Alias: PR AUC is reported as average precision. */
export const prAuc = averagePrecision;
