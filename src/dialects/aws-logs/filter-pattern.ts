/**
 * CloudWatch Logs filter patterns, the term-matching subset
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
 *
 *   ERROR            events containing the term (case-sensitive)
 *   ERROR timeout    containing both
 *   "Task timed out" containing the quoted phrase (any characters but `"`)
 *   ERROR -Retry     containing ERROR and not Retry
 *   ?ERROR ?WARN     containing at least one of the ?-terms
 *   (empty)          every event
 *
 * Unquoted terms are letters, digits and underscores; anything else must be quoted, and
 * AWS rejects it with `Invalid character(s) in term '<chars>'`. JSON (`{ $.x = 1 }`),
 * space-delimited (`[a, b]`) and regular-expression (`%...%`) patterns are not supported
 * here and are refused by name (README "Deliberately different").
 */

export type FilterPatternResult =
  | { readonly ok: true; readonly matches: (message: string) => boolean }
  | { readonly ok: false; readonly message: string };

const TERM_CHAR = /[A-Za-z0-9_]/;

export function parseFilterPattern(pattern: string): FilterPatternResult {
  const text = pattern.trim();
  if (text.length === 0) {
    return { ok: true, matches: () => true };
  }
  const first = text[0];
  if (first === '{' || first === '[' || (first === '%' && text.length > 1)) {
    return {
      ok: false,
      message: `hearth does not support JSON, space-delimited or regular-expression filter patterns: '${pattern}'`,
    };
  }
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    let bucket = all;
    if (c === '-' || c === '?') {
      bucket = c === '-' ? none : any;
      i++;
    }
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      if (close === -1) {
        return invalid('"');
      }
      bucket.push(text.slice(i + 1, close));
      i = close + 1;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t') {
      if (!TERM_CHAR.test(text[j] ?? '')) {
        let k = j;
        while (k < text.length && text[k] !== ' ' && !TERM_CHAR.test(text[k] ?? '')) {
          k++;
        }
        return invalid(text.slice(j, k));
      }
      j++;
    }
    if (j === i) {
      return invalid(text[i - 1] ?? c);
    }
    bucket.push(text.slice(i, j));
    i = j;
  }
  return {
    ok: true,
    matches: (message) =>
      all.every((t) => message.includes(t)) &&
      (any.length === 0 || any.some((t) => message.includes(t))) &&
      !none.some((t) => message.includes(t)),
  };
}

function invalid(chars: string): FilterPatternResult {
  return { ok: false, message: `Invalid character(s) in term '${chars}'` };
}
