/**
 * pktminerg(1), rendered from the option tables --help is built from
 * (lib/args.ts), so the two cannot drift: `npm run man` writes
 * man/pktminerg.1, and a test fails when the file differs from what this
 * renders. Plain man(7) macros, which groff and mandoc both read.
 */
import type { Options } from 'yargs';
import { DESCRIPTION, EXAMPLES, GLOBAL_OPTIONS, GROUP_OPTIONS, USAGE } from './args.js';

/** Text safe inside roff: backslashes escaped, hyphens as \-, no line starting with a control character. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

function optionItem(name: string, o: Options): string {
  const short = typeof o.alias === 'string' ? `\\fB\\-${o.alias}\\fR, ` : '';
  const value = o.type === 'boolean' ? '' : o.array ? ' \\fIWORDS\\fR' : ' \\fIVALUE\\fR';
  return `.TP\n${short}\\fB\\-\\-${roff(name)}\\fR${value}\n${roff(String(o.describe ?? ''))}\n`;
}

function optionSections(options: Record<string, Options>): string {
  const groups = new Map<string, string[]>();
  for (const [name, o] of Object.entries(options)) {
    const group = String(o.group ?? 'Options:').replace(/:$/, '');
    groups.set(group, [...(groups.get(group) ?? []), optionItem(name, o)]);
  }
  return [...groups].map(([group, items]) => `.SS ${roff(group)}\n${items.join('')}`).join('');
}

export function renderManPage(version: string): string {
  return [
    `.TH PKTMINERG 1 "" "packet-agent ${roff(version)}" "User Commands"\n`,
    '.SH NAME\n',
    `pktminerg \\- ${roff(DESCRIPTION.replace(/^Capture/, 'capture'))}\n`,
    '.SH SYNOPSIS\n',
    USAGE.map((line) => `.nf\n${roff(line.replace(/^Usage: /, '').trim())}\n.fi\n`).join(''),
    '.SH DESCRIPTION\n',
    roff(
      'Each group of options is one channel: a capture source (a file, an interface, a container or a KVM guest), ' +
        'its stages (direction, slice, rate limit) and its sinks (rotating pcap files, GRE, VXLAN or ZeroMQ forwarding). ' +
        'Without quoted groups the whole command line is one group. Bare words after the options are BPF filter words.',
    ),
    '\n.SH OPTIONS\n',
    optionSections({ ...GROUP_OPTIONS, ...GLOBAL_OPTIONS }),
    '.SH EXAMPLES\n',
    EXAMPLES.map(([command, what]) => `.TP\n\\fB${roff(command)}\\fR\n${roff(what)}\n`).join(''),
    '.SH SIGNALS\n',
    roff('SIGINT and SIGTERM stop capture, flush and close every file, print the summary and exit; a second one exits at once. SIGUSR1 logs the counts so far.'),
    '\n.SH EXIT STATUS\n',
    roff('0 when every channel ended normally; 1 for a bad command line (one line on standard error), a channel that cannot start, a damaged input file, or packets of a capture file lost to write errors.'),
    '\n.SH SEE ALSO\n',
    '.BR tcpdump (8),\n.BR dumpcap (1),\n.BR pcap (3PCAP),\n.BR gredump ,\n.BR vxlandump ,\n.BR zmqdump ,\n.BR pcapcompare\n',
  ].join('');
}
