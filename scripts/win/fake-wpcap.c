/*
 * A fake wpcap.dll for running the Windows addon under Wine (scripts/wine-smoke-win.sh): Wine's own
 * wpcap.dll lacks pcap_getevent. One device, Wine's loopback adapter's GUID, that "captures" FRAMES
 * synthetic 60-byte frames, one every 2 ms from a producer thread, signalling the read event as
 * Npcap's driver does. Frame i carries i (little-endian) at byte 14.
 */
#include <windows.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#define FRAMES 500
#define NAME "\\Device\\NPF_{00000001-0000-0000-0000-4E6574446576}"
struct timeval32 { long tv_sec, tv_usec; };
struct pkthdr { struct timeval32 ts; uint32_t caplen, len; };
struct pcap_if { struct pcap_if *next; char *name, *description; void *addresses; uint32_t flags; };
struct stat32 { unsigned ps_recv, ps_drop, ps_ifdrop; };
typedef void (*handler)(unsigned char *, const struct pkthdr *, const unsigned char *);
typedef struct { HANDLE ev, th; volatile LONG produced, consumed, stop; int bad_device; } fake_t;

static DWORD WINAPI produce(void *arg) {
  fake_t *f = arg;
  while (!f->stop && f->produced < FRAMES) {
    Sleep(2);
    InterlockedIncrement(&f->produced);
    SetEvent(f->ev);
  }
  return 0;
}
__declspec(dllexport) int pcap_findalldevs(struct pcap_if **all, char *errbuf) {
  static struct pcap_if dev = {NULL, NAME, "fake loopback", NULL, 0x16};
  *all = &dev;
  return 0;
}
__declspec(dllexport) void pcap_freealldevs(struct pcap_if *a) {}
__declspec(dllexport) void *pcap_create(const char *dev, char *errbuf) {
  fake_t *f = calloc(1, sizeof *f);
  f->bad_device = strcmp(dev, NAME) != 0;
  return f;
}
__declspec(dllexport) int pcap_activate(fake_t *f) {
  if (f->bad_device) return -5; /* PCAP_ERROR_NO_SUCH_DEVICE */
  f->ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  f->th = CreateThread(NULL, 0, produce, f, 0, NULL);
  return 0;
}
__declspec(dllexport) void *pcap_getevent(fake_t *f) { return f->ev; }
__declspec(dllexport) int pcap_dispatch(fake_t *f, int cnt, handler cb, unsigned char *user) {
  ResetEvent(f->ev);
  LONG upto = f->produced, n = 0;
  for (; f->consumed < upto; f->consumed++, n++) {
    unsigned char frame[60] = {0};
    memcpy(frame + 14, (const void *)&f->consumed, 4);
    struct pkthdr h = {{(long)time(NULL), 0}, 60, 60};
    cb(user, &h, frame);
  }
  return n;
}
__declspec(dllexport) void pcap_close(fake_t *f) {
  f->stop = 1;
  if (f->th) { WaitForSingleObject(f->th, INFINITE); CloseHandle(f->th); }
  if (f->ev) CloseHandle(f->ev);
  free(f);
}
__declspec(dllexport) int pcap_stats(fake_t *f, struct stat32 *s) { s->ps_recv = f->consumed; s->ps_drop = 0; s->ps_ifdrop = 0; return 0; }
__declspec(dllexport) void pcap_breakloop(fake_t *f) {}
__declspec(dllexport) int pcap_compile(fake_t *f, void *prog, const char *s, int o, unsigned m) { return 0; }
__declspec(dllexport) int pcap_setfilter(fake_t *f, void *prog) { return 0; }
__declspec(dllexport) void pcap_freecode(void *prog) {}
__declspec(dllexport) int pcap_datalink(fake_t *f) { return 1; }
__declspec(dllexport) int pcap_get_tstamp_precision(fake_t *f) { return 0; }
__declspec(dllexport) char *pcap_geterr(fake_t *f) { return "fake wpcap: no such device"; }
__declspec(dllexport) const char *pcap_statustostr(int e) { return "fake wpcap error"; }
__declspec(dllexport) int pcap_setnonblock(fake_t *f, int n, char *e) { return 0; }
__declspec(dllexport) int pcap_set_buffer_size(fake_t *f, int n) { return 0; }
__declspec(dllexport) int pcap_set_immediate_mode(fake_t *f, int n) { return 0; }
__declspec(dllexport) int pcap_set_promisc(fake_t *f, int n) { return 0; }
__declspec(dllexport) int pcap_set_snaplen(fake_t *f, int n) { return 0; }
__declspec(dllexport) int pcap_set_timeout(fake_t *f, int n) { return 0; }
__declspec(dllexport) int pcap_set_tstamp_precision(fake_t *f, int n) { return 0; }
