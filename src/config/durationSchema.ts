import { z } from 'zod';
import { parseDuration } from './duration';

/** A config duration: written as a string (`15m`), parsed once here into milliseconds. */
export function duration() {
  // Marked for generated docs (docs/receivers.md): "a duration", not just "a string".
  return z.string().meta({ 'x-duration': true }).transform((raw, ctx) => {
    const ms = parseDuration(raw);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${raw}" is not a duration (use e.g. 90s, 15m, 2h, 1d)` });
      return z.NEVER;
    }
    return ms;
  });
}
