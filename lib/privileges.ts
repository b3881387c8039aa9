/**
 * -Z USER (tcpdump's): who the agent becomes once start-up has opened every
 * capture handle, socket and file, and which capabilities it keeps: what
 * reopening needs later, nothing more (lib/native/privileges.c).
 */
import { UserError } from './errors.js';
import { loadAddon } from './native/addon.js';

/** linux/capability.h */
const CAP_NET_ADMIN = 12;
const CAP_NET_RAW = 13;
const CAP_SYS_PTRACE = 19;
const CAP_SYS_ADMIN = 21;

export interface AgentUser {
  name: string;
  uid: number;
  gid: number;
}

export function lookupAgentUser(name: string): AgentUser {
  try {
    return { name, ...loadAddon().lookupUser(name) };
  } catch (e) {
    throw new UserError(`-Z/--user: ${(e as Error).message}`);
  }
}

/**
 * Becomes `user`, keeping CAP_NET_RAW (capture and raw sockets, reopened after an interface flap)
 * and CAP_NET_ADMIN (promiscuous mode), plus CAP_SYS_ADMIN and CAP_SYS_PTRACE when a container is
 * captured (entering its namespace again after it restarts). Returns the names of what was kept.
 */
export function becomeAgentUser(user: AgentUser, containers: boolean): string[] {
  const keep: [string, number][] = [
    ['CAP_NET_RAW', CAP_NET_RAW],
    ['CAP_NET_ADMIN', CAP_NET_ADMIN],
    ...(containers ? ([['CAP_SYS_ADMIN', CAP_SYS_ADMIN], ['CAP_SYS_PTRACE', CAP_SYS_PTRACE]] as [string, number][]) : []),
  ];
  try {
    loadAddon().dropPrivileges(user.uid, user.gid, keep.map(([, n]) => n));
  } catch (e) {
    throw new UserError(`-Z/--user ${user.name}: cannot become that user: ${(e as Error).message} (-Z needs root)`);
  }
  return keep.map(([name]) => name);
}
