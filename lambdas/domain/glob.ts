/**
 * Glob matching in linear time, for patterns that come from configuration and names that come from
 * whoever pushes: repository rules (`*` within a path segment, `**` across segments) and Sigstore
 * certificate identities (`*` across everything). Compiling a glob to a regular expression lets a
 * pattern with several wildcards backtrack for minutes against a long name (a policy with five `*`
 * against a 255-character repository took over 300 s), so the pattern is run as a small
 * nondeterministic automaton instead: the set of pattern positions alive after each character,
 * O(pattern × name) with no backtracking. Hand-written because the glob libraries (minimatch,
 * picomatch) compile to regular expressions.
 */

type Token =
  | { readonly kind: 'literal'; readonly char: string }
  | { readonly kind: 'star'; readonly crossesSlash: boolean };

export interface GlobOptions {
  /** `*` stops at `/` and `**` crosses it (repository rules); otherwise `*` crosses everything. */
  readonly segments: boolean;
}

function tokenize(pattern: string, opts: GlobOptions): Token[] {
  const tokens: Token[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] ?? '';
    if (char !== '*') {
      tokens.push({ kind: 'literal', char });
      continue;
    }
    const double = chars[i + 1] === '*';
    if (double) i++;
    const crossesSlash = !opts.segments || double;
    const last = tokens[tokens.length - 1];
    // Adjacent stars add nothing; keep the widest.
    if (last?.kind === 'star') {
      if (crossesSlash && !last.crossesSlash) tokens[tokens.length - 1] = { kind: 'star', crossesSlash };
      continue;
    }
    tokens.push({ kind: 'star', crossesSlash });
  }
  return tokens;
}

/** Whether `name` matches `pattern` as a whole (anchored at both ends). */
export function globMatches(pattern: string, name: string, opts: GlobOptions): boolean {
  const tokens = tokenize(pattern, opts);
  // alive[i]: the first i tokens can match the input read so far.
  let alive = new Uint8Array(tokens.length + 1);
  alive[0] = 1;
  const closeOverStars = (state: Uint8Array): void => {
    for (let i = 0; i < tokens.length; i++) if (state[i] && tokens[i]?.kind === 'star') state[i + 1] = 1;
  };
  closeOverStars(alive);
  for (const char of name) {
    const next = new Uint8Array(tokens.length + 1);
    let any = false;
    for (let i = 0; i < tokens.length; i++) {
      if (!alive[i]) continue;
      const token = tokens[i];
      if (token === undefined) continue;
      if (token.kind === 'literal') {
        if (token.char === char) {
          next[i + 1] = 1;
          any = true;
        }
      } else if (token.crossesSlash || char !== '/') {
        next[i] = 1; // the star takes this character and may take more
        any = true;
      }
    }
    if (!any) return false;
    closeOverStars(next);
    alive = next;
  }
  return alive[tokens.length] === 1;
}
