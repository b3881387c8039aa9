/**
 * JSON from outside (a --config document, a manager's answer) checked
 * against a zod schema before any of it is used: the value, or one line
 * saying what is wrong and where (`groups[1][3]: Invalid input: expected
 * string, received number`), for an error message or a log line alike.
 */
import type { z } from 'zod';

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** How many of zod's issues a line names; the rest are counted. */
const ISSUES_NAMED = 3;

export function checkJson<T>(schema: z.ZodType<T>, text: string): Checked<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // V8 quotes the text around the fault, line breaks included: one line, always.
    return { ok: false, problem: `not JSON: ${(e as Error).message.replace(/\s+/g, ' ')}` };
  }
  const r = schema.safeParse(json);
  return r.success ? { ok: true, value: r.data } : { ok: false, problem: summarizeIssues(r.error.issues) };
}

/** The first few zod issues on one line, each with where it is. */
function summarizeIssues(issues: z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, ISSUES_NAMED).map((issue) => (issue.path.length > 0 ? `${jsonPath(issue.path)}: ${issue.message}` : issue.message));
  return `${shown.join('; ')}${issues.length > ISSUES_NAMED ? `; and ${issues.length - ISSUES_NAMED} more` : ''}`;
}

/** `["groups", 1, 3]` as `groups[1][3]` (indices from 0, as in JSON and JavaScript). */
function jsonPath(path: PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}
