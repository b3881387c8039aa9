/**
 * The BPF filter a live channel installs (spec §2.2, with its recommended
 * fixes): the user's expression with `host nic.<if>` replaced by that
 * interface's addresses, in parentheses, then `not host <remote>` for every
 * remote of every group so that forwarded packets are not captured again.
 */
import { UserError } from './errors.js';
import { hostAddresses } from './net-interfaces.js';

const QUALIFIERS = new Set(['src', 'dst']);

/**
 * `[src|dst] host nic.eth0` → `([src|dst] host A or [src|dst] host B)`; works
 * after `not` too. An unknown interface, or one without addresses, is an error.
 */
export function expandNicHosts(expression: string, resolve: (name: string) => string[] | undefined = hostAddresses): string {
  const tokens = expression.split(/\s+/).filter((t) => t !== '');
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t === 'host' && next?.startsWith('nic.')) {
      const name = next.slice(4);
      const addrs = resolve(name);
      if (addrs === undefined) throw new UserError(`filter: host ${next}: no interface named '${name}'`);
      if (addrs.length === 0) throw new UserError(`filter: host ${next}: interface '${name}' has no address`);
      const qualifier = QUALIFIERS.has(out[out.length - 1] ?? '') ? `${out.pop()} ` : '';
      out.push(`(${addrs.map((a) => `${qualifier}host ${a}`).join(' or ')})`);
      i++;
    } else {
      out.push(t);
    }
  }
  return out.join(' ');
}

/** The complete filter: `(<expression>) and not host R1 and not host R2 ...`. */
export function buildCaptureFilter(expression: string, excludeHosts: string[], resolve?: (name: string) => string[] | undefined): string {
  const parts: string[] = [];
  const expr = expandNicHosts(expression, resolve);
  if (expr) parts.push(excludeHosts.length ? `(${expr})` : expr);
  for (const h of new Set(excludeHosts)) parts.push(`not host ${h}`);
  return parts.join(' and ');
}
