/**
 * Dump file name templates (`--dump-name`), strftime-style like the names of
 * tcpdump's `-G`: `%Y %m %d %H %M %S` (local time), `%s` (epoch seconds), `%%`
 * (a `%`) and `%{source}` (the channel's source name), evaluated on the
 * capture time the file's period starts at. `/` makes sub-directories of the
 * source directory. The k-th further file with the same name (size rotation,
 * a restart, capture resuming after a gap) is `<name>.k.pcap`.
 *
 * Retention deletes files, so it must recognise exactly what we generate: the
 * template also compiles to a regular expression in which each conversion is
 * a digit class (the source name a literal) and a conversion used twice must
 * repeat the same digits (`%Y%m%d%H/…_%Y%m%d%H%M%S` only matches a file in its
 * own hour directory). Pure: no I/O here.
 */
import { join } from 'node:path';
import { UserError } from '../errors.js';

const TIME_CONVERSIONS = ['Y', 'm', 'd', 'H', 'M', 'S', 's'] as const;
type TimeConversion = (typeof TIME_CONVERSIONS)[number];
type Conversion = TimeConversion | 'source';
/** A literal or a conversion. */
type Token = { literal: string } | { conversion: Conversion };

const SUFFIX = '.pcap';
const DIGITS: Record<TimeConversion, string> = { Y: '\\d{4}', m: '\\d{2}', d: '\\d{2}', H: '\\d{2}', M: '\\d{2}', S: '\\d{2}', s: '(?:0|[1-9]\\d*)' };
/** Retention sorts by these fields, most significant first (epoch seconds, when the template has them, decide). */
const SORT_FIELDS = ['s', 'Y', 'm', 'd', 'H', 'M', 'S'] as const;

/** Today's layout, spec §6: one file without an interval, hour directories with one. */
export function defaultDumpName(intervalSec: number): string {
  return intervalSec === 0 ? 'pktminerg_dump.pcap' : '%Y%m%d%H/pktminerg_dump_%Y%m%d%H%M%S.pcap';
}

/** Splits a template into path components of tokens; a UserError naming `flag` says what is wrong. */
function parseTemplate(flag: string, template: string): Token[][] {
  if (template.startsWith('/')) throw new UserError(`${flag}: '${template}' is absolute; it must be a path below the source directory`);
  if (!template.endsWith(SUFFIX) || template.endsWith(`/${SUFFIX}`) || template === SUFFIX) throw new UserError(`${flag}: '${template}' must end in a name ending in ${SUFFIX}`);
  return template.split('/').map((component) => {
    if (component === '') throw new UserError(`${flag}: '${template}' has an empty path component`);
    if (component === '.' || component === '..') throw new UserError(`${flag}: '${template}' must stay inside the source directory (no '.' or '..')`);
    const tokens: Token[] = [];
    let literal = '';
    for (let i = 0; i < component.length; i++) {
      const c = component[i]!;
      if (c !== '%') {
        literal += c;
        continue;
      }
      const next = component[i + 1];
      let conversion: Conversion;
      if (next === '%') {
        literal += '%';
        i++;
        continue;
      } else if (component.startsWith('{source}', i + 1)) {
        conversion = 'source';
        i += '{source}'.length;
      } else if (next !== undefined && (TIME_CONVERSIONS as readonly string[]).includes(next)) {
        conversion = next as TimeConversion;
        i++;
      } else {
        const what = next === undefined ? "a '%' at the end" : `'%${next}'`;
        throw new UserError(`${flag}: ${what} in '${template}' is not one of %Y %m %d %H %M %S %s %% %{source}`);
      }
      if (literal !== '') tokens.push({ literal });
      literal = '';
      tokens.push({ conversion });
    }
    if (literal !== '') tokens.push({ literal });
    return tokens;
  });
}

/** Validates a `--dump-name` template (pure: for checkGroup); returns it. */
export function checkDumpName(flag: string, template: string): string {
  parseTemplate(flag, template);
  return template;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The names of one source's dump files: the template bound to the source name. */
export class DumpNames {
  private readonly components: Token[][];
  /** One regular expression per path component, to walk only directories that can hold our files. */
  readonly componentPatterns: RegExp[];
  /** The whole relative path; conversions used twice must repeat the same digits. */
  private readonly pattern: RegExp;

  constructor(template: string, private readonly source: string) {
    this.components = parseTemplate('--dump-name', template);
    this.componentPatterns = this.components.map((tokens, i) => new RegExp(`^${this.regexOf(tokens, i === this.components.length - 1, null)}$`));
    const seen = new Set<TimeConversion>();
    this.pattern = new RegExp(`^${this.components.map((tokens, i) => this.regexOf(tokens, i === this.components.length - 1, seen)).join('/')}$`);
  }

  /** The relative path of the k-th file (k = 0: no `.k`) of the period starting at `sec`. */
  name(sec: number, k: number): string {
    const d = new Date(sec * 1000);
    const values: Record<Conversion, string> = {
      Y: String(d.getFullYear()).padStart(4, '0'),
      m: pad2(d.getMonth() + 1),
      d: pad2(d.getDate()),
      H: pad2(d.getHours()),
      M: pad2(d.getMinutes()),
      S: pad2(d.getSeconds()),
      s: String(sec),
      source: this.source,
    };
    const parts = this.components.map((tokens) => tokens.map((t) => ('literal' in t ? t.literal : values[t.conversion])).join(''));
    if (k > 0) parts.push(`${parts.pop()!.slice(0, -SUFFIX.length)}.${k}${SUFFIX}`);
    return join(...parts);
  }

  /** `file` is `base` (0) or its k-th further file (k); null when it is neither. `base` is a name(…, 0). */
  static suffixOf(base: string, file: string): number | null {
    if (file === base) return 0;
    const stem = base.slice(0, -SUFFIX.length);
    const m = file.startsWith(`${stem}.`) && file.endsWith(SUFFIX) ? /^[1-9]\d*$/.exec(file.slice(stem.length + 1, -SUFFIX.length)) : null;
    return m ? Number(m[0]) : null;
  }

  /**
   * Null unless `relative` (components joined by '/') is a name we generate;
   * else its sort key: compared element by element, older files come first.
   */
  sortKey(relative: string): number[] | null {
    const m = this.pattern.exec(relative);
    if (!m) return null;
    const g = m.groups ?? {};
    return [...SORT_FIELDS.map((f) => Number(g[f] ?? 0)), Number(g['k'] ?? 0)];
  }

  /**
   * The regex of one component. With `seen`, the first use of a conversion
   * captures it and later uses must repeat it; the last component also takes
   * the `.k` suffix (k ≥ 1, no leading zero: exactly what name() writes).
   */
  private regexOf(tokens: Token[], last: boolean, seen: Set<TimeConversion> | null): string {
    let re = '';
    tokens.forEach((t, i) => {
      let part: string;
      if ('literal' in t) {
        part = escapeRegExp(last && i === tokens.length - 1 ? t.literal.slice(0, -SUFFIX.length) : t.literal);
      } else if (t.conversion === 'source') {
        part = escapeRegExp(this.source);
      } else if (seen === null) {
        part = DIGITS[t.conversion];
      } else if (seen.has(t.conversion)) {
        part = `\\k<${t.conversion}>`;
      } else {
        seen.add(t.conversion);
        part = `(?<${t.conversion}>${DIGITS[t.conversion]})`;
      }
      re += part;
    });
    return last ? `${re}(?:\\.(?<k>[1-9]\\d*))?${escapeRegExp(SUFFIX)}` : re;
  }
}
