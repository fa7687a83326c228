/**
 * Forms a secret can take in an error text. A webhook URL's key lives in its path or query, and
 * vendors echo those parts without the scheme and host; Basic credentials appear base64-encoded.
 */
export function secretVariants(secrets: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    out.add(s);
    if (/^https?:\/\//i.test(s)) {
      try {
        const u = new URL(s);
        if (u.pathname.length >= 8) out.add(u.pathname);
        for (const part of u.pathname.split('/')) if (part.length >= 16) out.add(part);
        for (const v of u.searchParams.values()) if (v.length >= 8) out.add(v);
      } catch {
        // not a URL after all; the whole value is already covered
      }
    }
  }
  // Longest first, so a URL is replaced whole before its path would be.
  return [...out].sort((a, b) => b.length - a.length);
}
