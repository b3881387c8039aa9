/**
 * The MPLS label stack entry (RFC 3032 §2.1) the ZeroMQ exporter inserts
 * into every frame to carry direction and service tag (spec §5.4).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                Label                  | Exp |S|       TTL     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |1|  dir  |0 0 0|  service tag (12)     |0 0 0|1|1 1 1 1 1 1 1 1|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Label bit 19 is the reference's "magic" 1; the service tag is keybit & 0xFFF.
 */

/** MPLS unicast. */
export const ETHERTYPE_MPLS = 0x8847;
export const MPLS_ENTRY_LEN = 4;

const LABEL_MAGIC = 0x80000;
const LABEL_DIRECTION_SHIFT = 15;
const SERVICE_TAG_MASK = 0xfff;
const LABEL_SHIFT = 12;
const BOTTOM_OF_STACK = 1 << 8;
const TTL = 0xff;

/** The 32-bit entry; direction −1 shows as 0xF. */
export function mplsEntry(direction: number, keybit: number): number {
  const label = LABEL_MAGIC | ((direction & 0xf) << LABEL_DIRECTION_SHIFT) | (keybit & SERVICE_TAG_MASK);
  return ((label << LABEL_SHIFT) | BOTTOM_OF_STACK | TTL) >>> 0;
}

/** Direction code 0..15 (0xF stands for −1). */
export function mplsDirection(entry: number): number {
  return (entry >>> (LABEL_SHIFT + LABEL_DIRECTION_SHIFT)) & 0xf;
}

export function mplsServiceTag(entry: number): number {
  return (entry >>> LABEL_SHIFT) & SERVICE_TAG_MASK;
}

/** Whether this entry is the last of its stack, so a payload follows it. */
export function mplsBottomOfStack(entry: number): boolean {
  return (entry & BOTTOM_OF_STACK) !== 0;
}
