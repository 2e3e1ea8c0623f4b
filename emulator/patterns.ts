// The model's `pattern` constraints as full-match predicates. AWS matches the whole value (a
// datastoreId with a valid 32-character run inside it is still refused), so every pattern is
// anchored. RE2 (re2js, linear time) runs them: MetadataFilePath's
// `[a-zA-Z0-9!-~]+([a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+)*` backtracks exponentially in V8 on a long value
// with a bad last character. RE2 has no lookahead (TagKey's `(?!aws:)`), no `\p{ASCII}` and no
// repeat counts over 1000 (NextToken's `{0,8192}`); those few patterns, with no nested quantifier,
// fall back to a JavaScript RegExp in unicode mode.

import { RE2JS } from "re2js";

export type Matcher = (value: string) => boolean;

const cache = new Map<string, Matcher>();

function compile(pattern: string): Matcher {
  try {
    const re = RE2JS.compile(pattern);
    return (value) => re.matches(value);
  } catch {
    const re = new RegExp(`^(?:${pattern})$`, "u");
    return (value) => re.test(value);
  }
}

export function patternMatcher(pattern: string): Matcher {
  let m = cache.get(pattern);
  if (!m) {
    m = compile(pattern);
    cache.set(pattern, m);
  }
  return m;
}
