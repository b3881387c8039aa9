/**
 * Which host interface carries a libvirt guest's traffic (`-m/--kvm NAME`):
 * the tap behind the guest's first NIC (`vnet3`), and the guest's MAC on
 * that NIC, which `--dir auto` uses to tell what the guest sent ("out") from
 * what it received. The caller resolves again at every reopen, so a guest
 * that restarts onto another tap is followed, and null (nothing to capture
 * on yet) is waited for.
 *
 * Unlike the reference (§7.2: `sh get_if_with_name.sh NAME`, a script looked
 * up in the working directory and fed an unchecked name), the name is checked
 * first and no shell is ever involved.
 */

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkInterfaceName } from '../interface-name.js';
import { UserError } from '../errors.js';

export interface KvmNic {
  tap: string;
  /** 6 bytes */
  mac: Buffer;
}

/** Where libvirt's QEMU driver keeps the live (status) XML of each running guest, as NAME.xml. */
export const LIBVIRT_QEMU_RUN_DIR = '/run/libvirt/qemu';

/** NAME_MAX (255) less `.xml`: the longest name whose status file can exist. */
const MAX_NAME_LENGTH = 251;
const NAME_CHARS = /^[A-Za-z0-9_.:-]+$/;

/**
 * Refuses a guest name outside [A-Za-z0-9_.:-], empty, longer than a status
 * file name allows, `.`, or containing `..`. Those characters cover the names
 * people give guests; everything a shell, a path or a terminal would read
 * specially is outside them. (`..` cannot escape the run directory once
 * `.xml` is appended, but a name that looks like a path step is refused
 * anyway, so no later use of the name has to think about it.)
 */
export function checkKvmName(name: string): string {
  if (!NAME_CHARS.test(name) || name.length > MAX_NAME_LENGTH || name === '.' || name.includes('..')) {
    throw new UserError(
      `-m/--kvm: ${JSON.stringify(name)} is not a guest name we accept (1..${MAX_NAME_LENGTH} of A-Z a-z 0-9 _ . : -, not . and no ..)`,
    );
  }
  return name;
}

/** libvirt writes MACs as six lowercase hex pairs; case is not worth refusing. */
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** The NIC as the rest of the agent needs it; anything else libvirt could have written there is refused. */
function toNic(tap: string, mac: string): KvmNic {
  // The tap becomes a device name (and maybe a dump directory): the kernel's rule, with the flag in the message.
  checkInterfaceName("-m/--kvm: the guest's tap", tap);
  if (!MAC.test(mac)) throw new UserError(`-m/--kvm: the guest's MAC ${JSON.stringify(mac)} is not six hex bytes like 52:54:00:aa:bb:cc`);
  return { tap, mac: Buffer.from(mac.replace(/:/g, ''), 'hex') };
}

/*
 * libvirt's XML is machine-written and regular (virBuffer output: one element
 * per line, attributes quoted, < > & ' " escaped as entities), so a few
 * regular expressions read it; an XML parser dependency would buy nothing
 * here. What they must not be fooled by: comments, CDATA and <metadata>
 * (free-form XML that other tools store in the domain) can contain text that
 * looks like an <interface>, and the status file's private data comes before
 * <domain>.
 */
const NOT_DEVICES = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<metadata\b[\s\S]*?<\/metadata\s*>/g;
/** An <interface> with content; `<interface .../>` has no target and cannot match. */
const INTERFACE = /<interface\b[^>]*(?<!\/)>([\s\S]*?)<\/interface\s*>/g;
const TARGET = /<target\b([^>]*)>/;
const MAC_ELEMENT = /<mac\b([^>]*)>/;
const ATTRIBUTE = /([\w:.-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] !== '#') return ENTITIES[ref] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    // Beyond Unicode String.fromCodePoint would throw a RangeError: leave such a reference as it is.
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** The value of attribute `name` among a start tag's attributes, in either quote style. */
function attribute(attributes: string, name: string): string | undefined {
  for (const m of attributes.matchAll(ATTRIBUTE)) if (m[1] === name) return unescapeXml(m[2] ?? m[3] ?? '');
  return undefined;
}

/**
 * The first <interface> of the domain with both a <target dev> (its host
 * tap; interfaces without one, such as hostdev or user networking, have no
 * host side to capture on and are skipped) and a <mac address>, in either
 * order. null when the domain has no such interface or the text holds no
 * <domain>. A tap or MAC that cannot be one is a UserError.
 */
export function parseDomainXml(xml: string): KvmNic | null {
  const text = xml.replace(NOT_DEVICES, '');
  const domain = text.search(/<domain\b/);
  if (domain < 0) return null;
  for (const [, body] of text.slice(domain).matchAll(INTERFACE)) {
    const target = TARGET.exec(body);
    const mac = MAC_ELEMENT.exec(body);
    const tap = target ? attribute(target[1], 'dev') : undefined;
    const address = mac ? attribute(mac[1], 'address') : undefined;
    if (tap !== undefined && address !== undefined) return toNic(tap, address);
  }
  return null;
}

/**
 * `virsh domiflist` prints a header (translated under other locales), a line
 * of dashes, then one line per NIC: Interface Type Source Model MAC, with `-`
 * for an empty column. Only the first and last columns are read, so neither
 * the header's words nor a Source with a space in it matter. A NIC whose
 * Interface is `-` has no tap (a shut-off guest, or a NIC without a host
 * side) and is skipped, as parseDomainXml skips an interface without target,
 * so both sources name the same NIC. null when no NIC has a tap.
 */
export function parseDomiflist(text: string): KvmNic | null {
  const lines = text.split('\n');
  const rule = lines.findIndex((l) => /^\s*-{3,}\s*$/.test(l));
  if (rule < 0) return null;
  for (const line of lines.slice(rule + 1)) {
    const columns = line.trim().split(/\s+/);
    if (columns[0] === '' || columns[0] === '-') continue;
    return toNic(columns[0], columns[columns.length - 1]);
  }
  return null;
}

/** Long enough for a busy libvirtd; short because the call blocks the event loop. */
const VIRSH_TIMEOUT_MS = 5000;

/**
 * `virsh ARGS`' standard output, or null when virsh is not installed, fails
 * (no such guest, no libvirtd) or hangs. C locale so that its messages do
 * not vary; its stderr is dropped because every failure means the same here.
 */
function runVirsh(args: string[]): string | null {
  try {
    return execFileSync('virsh', args, {
      encoding: 'utf8',
      timeout: VIRSH_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch {
    return null;
  }
}

/**
 * The running guest's first NIC with a tap, or null when the guest is not
 * running (or runs without such a NIC).
 *
 * Order, and why: first the live XML file `runDir/NAME.xml`, which libvirt's
 * QEMU driver writes (atomically, by rename) when the guest starts, rewrites
 * on every change (a hot-plugged NIC) and deletes when it stops. Reading it
 * needs no program, no libvirt socket and no time limit, so it works in a
 * container that has only the host's /run mounted, and costs one read at
 * every reopen. Only when that file cannot be read (the guest is not running,
 * /run is not mounted, another run directory) is `virsh --readonly
 * domiflist` asked, if virsh exists: it knows guests under any connection
 * URI the environment selects, at the price of a process and a blocking wait.
 * virsh gets an argument array, never a shell, and `--domain NAME` so that a
 * name starting with `-` is not read as an option.
 */
export function resolveKvmGuest(
  name: string,
  opts: { runDir?: string; virsh?: (args: string[]) => string | null } = {},
): KvmNic | null {
  checkKvmName(name);
  const file = path.join(opts.runDir ?? LIBVIRT_QEMU_RUN_DIR, `${name}.xml`);
  let xml: string | null = null;
  try {
    xml = readFileSync(file, 'utf8');
  } catch {
    // Absent (not running), unreadable or no such directory: virsh may still know.
  }
  if (xml !== null) return naming(name, file, () => parseDomainXml(xml));
  const table = (opts.virsh ?? runVirsh)(['--readonly', 'domiflist', '--domain', name]);
  return table === null ? null : naming(name, 'virsh domiflist', () => parseDomiflist(table));
}

/** A running guest as `-D` lists it: its first NIC with a tap, or why there is none to capture on. */
export interface KvmGuest {
  name: string;
  /** null: no NIC with a tap, or (with `problem`) a live XML this agent refuses. */
  nic: KvmNic | null;
  problem?: string;
}

/**
 * Every running guest of libvirt's QEMU driver (`-D`): one per live XML file
 * in `runDir`, read as resolveKvmGuest reads it, sorted by name. A file whose
 * name is not one -m accepts (it could not be captured by name) or that
 * cannot be read (the guest stopped meanwhile) is left out; virsh is not
 * asked, so a listing never blocks. [] when the directory does not exist.
 */
export function listKvmGuests(runDir = LIBVIRT_QEMU_RUN_DIR): KvmGuest[] {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return [];
  }
  const guests: KvmGuest[] = [];
  for (const file of names.sort()) {
    if (!file.endsWith('.xml')) continue;
    const name = file.slice(0, -'.xml'.length);
    try {
      checkKvmName(name);
    } catch {
      continue;
    }
    let xml: string;
    try {
      xml = readFileSync(path.join(runDir, file), 'utf8');
    } catch {
      continue;
    }
    try {
      guests.push({ name, nic: naming(name, path.join(runDir, file), () => parseDomainXml(xml)) });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      guests.push({ name, nic: null, problem: e.message });
    }
  }
  return guests;
}

/** Runs a parser; its UserError gains which guest and which libvirt source it was about. */
function naming(name: string, where: string, parse: () => KvmNic | null): KvmNic | null {
  try {
    return parse();
  } catch (e) {
    throw e instanceof UserError ? new UserError(`${e.message} (guest ${name}, from ${where})`) : e;
  }
}
