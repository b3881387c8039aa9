/** The one check of a Linux interface name, for -i, -B and the interfaces named inside a container. */
import { UserError } from './errors.js';

/** Linux's IFNAMSIZ (16) less the terminating NUL. */
const MAX_IFNAME_BYTES = 15;
/** `/`, `:`, the kernel's isspace() (\t \n \v \f \r, space and Latin-1 NBSP 0xA0), and NUL, which ends a C string early. */
const IFNAME_BAD_BYTE = new Set([0x2f, 0x3a, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x00]);

/**
 * Refuses a name that no Linux interface can have, by the kernel's own rule
 * (dev_valid_name() in net/core/dev.c): 1..15 bytes, not `.` or `..`, none
 * of `/`, `:` or whitespace. Checked here because the name is also a
 * directory under --dump (`../x` would leave it) and an absent interface is
 * waited for, forever for one that cannot exist. `eth0:1` is refused too:
 * it is an address label, not a device, and the interface ioctls cut the
 * name at `:`, so it would capture the whole of eth0. `any` passes (a libpcap
 * pseudo-device, and a valid name).
 */
export function checkInterfaceName(flag: string, name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length === 0 || bytes.length > MAX_IFNAME_BYTES || name === '.' || name === '..' || bytes.some((b) => IFNAME_BAD_BYTE.has(b))) {
    throw new UserError(`${flag}: ${JSON.stringify(name)} cannot be a Linux interface name (1..${MAX_IFNAME_BYTES} bytes, not . or .., no /, : or white space)`);
  }
  return name;
}
