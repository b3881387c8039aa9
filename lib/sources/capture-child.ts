/**
 * The capture process behind LiveSource: opens one interface with `cap` and
 * writes what it captures to stdout as a pcap stream (nanosecond magic, one
 * write per event-loop turn). It runs apart from pktminerg because `cap`
 * aborts its process when the interface goes down; here that ends only this
 * child, and LiveSource waits for the interface and starts a new one.
 *
 *   node capture-child.js DEVICE FILTER BUFFER_BYTES
 *
 * Exit status: 0 after SIGTERM/SIGINT or when stdout closes; 3 when the
 * filter does not compile; 4 when the device cannot be opened. The reason is
 * one line on stderr.
 */
import { encodeFileHeader, RECORD_HEADER_LEN, writeRecordHeader } from '../proto/pcap.js';
import { CAP_FRAME_BYTES, CAP_LINKTYPES, CAP_SNAPLEN, CHILD_EXIT_FILTER, CHILD_EXIT_OPEN, loadCap, nowMicros } from './cap-binding.js';

/** Longest a captured frame waits in this process before it is handed to the channel. */
const FLUSH_MS = 1;
/** Records gather here until the flush; it grows for bigger bursts and is reused. */
const INITIAL_OUT_BYTES = 1 << 20;

function main(argv: string[]): void {
  const [device, filter, bufferText] = argv;
  const cap = new (loadCap().Cap)();
  const frame = Buffer.alloc(CAP_FRAME_BYTES);
  let type: string;
  try {
    type = cap.open(device!, filter!, Number(bufferText), frame);
  } catch (e) {
    const message = (e as Error).message;
    // libpcap's compile errors say where the expression is wrong; anything else is about the device.
    const filterError = filter !== '' && /syntax error|parse error|illegal|unknown|expression/i.test(message);
    process.stderr.write(`${filterError ? `filter '${filter}'` : device}: ${message}\n`);
    process.exit(filterError ? CHILD_EXIT_FILTER : CHILD_EXIT_OPEN);
  }
  const linktype = CAP_LINKTYPES[type];
  if (linktype === undefined) {
    cap.close();
    process.stderr.write(`${device}: link type ${type} is not supported (Ethernet and Linux cooked capture are)\n`);
    process.exit(CHILD_EXIT_OPEN);
  }
  // stdout to a pipe is synchronous on Linux: when the parent falls behind, this process waits
  // and the kernel ring absorbs the burst; `out` can therefore be reused after each write.
  process.stdout.write(encodeFileHeader({ nanos: true, snaplen: CAP_SNAPLEN, linktype }));
  let out = Buffer.allocUnsafeSlow(INITIAL_OUT_BYTES);
  let used = 0;
  const flush = (): void => {
    if (used > 0) process.stdout.write(out.subarray(0, used));
    used = 0;
  };
  cap.on('packet', (nbytes) => {
    const scheduled = used > 0;
    if (used + RECORD_HEADER_LEN + nbytes > out.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(out.length * 2, used + RECORD_HEADER_LEN + nbytes));
      out.copy(bigger, 0, 0, used);
      out = bigger;
    }
    const us = nowMicros();
    const sec = Math.floor(us / 1e6);
    writeRecordHeader(out, used, sec, (us - sec * 1e6) * 1000, nbytes, nbytes);
    frame.copy(out, used + RECORD_HEADER_LEN, 0, nbytes);
    used += RECORD_HEADER_LEN + nbytes;
    // Frames of up to FLUSH_MS go out in one write: each write wakes the channel, whose cost is per
    // batch, while the kernel (immediate mode) wakes this process every few frames.
    if (!scheduled) setTimeout(flush, FLUSH_MS);
  });
  const stop = (): void => {
    cap.close();
    flush();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.on('error', stop);
}

main(process.argv.slice(2));
