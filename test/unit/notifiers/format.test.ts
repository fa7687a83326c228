import { headline } from '../../../src/notifiers/format';
import { message } from '../../support/vendors/messages';

describe('headline', () => {
  it('shows the status once: a title that carries it keeps it, one that does not gets it', () => {
    expect(headline(message('firing', undefined, { title: '[FIRING:2] HighLatency (checkout) ×2' }))).toBe('🔥 [FIRING:2] HighLatency (checkout) ×2');
    expect(headline(message('resolved', undefined, { title: '[RESOLVED] HighLatency' }))).toBe('✅ [RESOLVED] HighLatency');
    expect(headline(message('firing', undefined, { title: 'HighLatency' }))).toBe('🔥 [FIRING] HighLatency');
  });
});
