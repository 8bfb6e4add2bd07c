/**
 * What a request path means, decided once: its segments, each decoded once.
 *
 * A segment that decodes to `.` or `..`, or to text holding `/`, `?`, `#`,
 * `\`, `%` or a control character, is refused: it would mean one path here
 * and another wherever the path is used next (a gateway URL, a file, the
 * dashboard proxy). The Jupyter proxy in front applies the same rule
 * (`jupyter_ext_server/server/proxy.py`), so both judge the same path.
 */
import { quoted } from '../errors';

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[/?#\\%\u0000-\u001f\u007f]/;

export type PathCheck =
  { ok: true; segments: string[] } | { ok: false; problem: string };

export function checkPath(pathname: string): PathCheck {
  const raw = pathname.replace(/^\/+/, '').split('/');
  const segments: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw[i]);
    } catch {
      return {
        ok: false,
        problem: `path segment ${quoted(raw[i])} is not valid percent-encoding`
      };
    }
    if (segment === '' && i < raw.length - 1) {
      return { ok: false, problem: 'the path has an empty segment (//)' };
    }
    if (segment === '.' || segment === '..') {
      return {
        ok: false,
        problem: `path segment ${quoted(raw[i])} is "${segment}"`
      };
    }
    if (FORBIDDEN.test(segment)) {
      return {
        ok: false,
        problem:
          `path segment ${quoted(raw[i])} holds "/", "?", "#", "\\", "%" or a control ` +
          'character once decoded'
      };
    }
    segments.push(segment);
  }
  return { ok: true, segments };
}
