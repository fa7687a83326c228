import { averagePrecision, prAuc, rocAuc } from '../../../models/metrics';

describe('rocAuc', () => {
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });

  it('matches a hand-counted Mann–Whitney example', () => {
    // positives 0.8, 0.4; negatives 0.1, 0.5, 0.6 → pairs won: 0.8 beats 3, 0.4 beats 1 → 4 of 6.
    expect(rocAuc([0.8, 0.4, 0.1, 0.5, 0.6], [1, 1, 0, 0, 0])).toBeCloseTo(4 / 6, 12);
  });

  it('counts tied positive/negative pairs as one half', () => {
    // All scores tied → 0.5.
    expect(rocAuc([1, 1, 1, 1], [1, 0, 1, 0])).toBe(0.5);
    // pos {0.5, 0.9}, neg {0.5, 0.1}: pairs (0.5,0.5)=½, (0.5,0.1)=1, (0.9,0.5)=1, (0.9,0.1)=1 → 3.5/4.
    expect(rocAuc([0.5, 0.9, 0.5, 0.1], [1, 1, 0, 0])).toBeCloseTo(3.5 / 4, 12);
  });

  it('does not depend on the order of the input', () => {
    const s = [0.3, 0.3, 0.7, 0.1, 0.7, 0.2];
    const l = [1, 0, 1, 0, 0, 1];
    const perm = [5, 3, 1, 0, 4, 2];
    expect(rocAuc(perm.map((i) => s[i]), perm.map((i) => l[i]))).toBeCloseTo(rocAuc(s, l), 12);
  });

  it('rejects single-class labels, non-binary labels and length mismatch', () => {
    expect(() => rocAuc([1, 2], [1, 1])).toThrow(/positive and one negative/);
    expect(() => rocAuc([1, 2], [0, 2])).toThrow(/expected 0 or 1/);
    expect(() => rocAuc([1, 2, 3], [0, 1])).toThrow(/3 scores but 2 labels/);
  });
});

describe('average precision (PR AUC)', () => {
  it('is 1 for a perfect ranking', () => {
    expect(averagePrecision([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
  });

  it('matches a hand-computed example', () => {
    // Ranked: 0.9(1) 0.8(0) 0.7(1) 0.1(0): precision at the positives 1/1 and 2/3 → AP = (1 + 2/3)/2.
    expect(averagePrecision([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0])).toBeCloseTo((1 + 2 / 3) / 2, 12);
  });

  it('treats tied scores as one threshold', () => {
    // 0.9(1), then {0.5(1), 0.5(0)} tied, then 0.1(0): recall 0.5 at P=1, recall 1 at P=2/3.
    const ap = 0.5 * 1 + 0.5 * (2 / 3);
    expect(prAuc([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0])).toBeCloseTo(ap, 12);
    expect(prAuc([0.9, 0.5, 0.5, 0.1], [1, 0, 1, 0])).toBeCloseTo(ap, 12);
  });

  it('is the positive rate when all scores tie', () => {
    expect(prAuc([2, 2, 2, 2], [1, 0, 0, 0])).toBeCloseTo(0.25, 12);
  });
});
