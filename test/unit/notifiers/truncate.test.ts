import { truncateText, cutWithEllipsis, moreAlertsMarker } from '../../../src/notifiers/truncate';

describe('truncateText', () => {
  const lines = Array.from({ length: 500 }, (_, i) => `• alert ${i} on host-${i}`);
  const text = lines.join('\n');

  it('leaves text that fits alone', () => {
    expect(truncateText('a\nb', 3)).toBe('a\nb');
  });

  it('drops whole alert lines from the end and counts them in the marker', () => {
    const out = truncateText(text, 1000);
    expect(out.length).toBeLessThanOrEqual(1000);
    const kept = out.split('\n').slice(0, -1);
    expect(kept).toEqual(lines.slice(0, kept.length));
    expect(out.endsWith(moreAlertsMarker(500 - kept.length))).toBe(true);
    // As many lines as fit: one more line would not.
    expect([...lines.slice(0, kept.length + 1), moreAlertsMarker(500 - kept.length - 1)].join('\n').length).toBeGreaterThan(1000);
  });

  it('does not count blank lines as alerts', () => {
    const out = truncateText('head\n\nlong line one\nlong line two', 24);
    expect(out).toBe('head\n… and 2 more alerts');
  });

  it('cuts a single overlong line with an ellipsis as a last resort', () => {
    const out = truncateText('x'.repeat(50), 10);
    expect(out).toBe('x'.repeat(9) + '…');
    const two = truncateText('y'.repeat(100) + '\nsecond', 40);
    expect(two.length).toBeLessThanOrEqual(40);
    expect(two.endsWith('… and 1 more alert')).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    const out = cutWithEllipsis('ab😀cd', 4);
    expect(out).toBe('ab…');
  });
});
