/* Helpers shared by the Windows parts of packet_io (the *_win.c files; README "Windows"). */
#ifndef PACKET_AGENT_NATIVE_WIN_H
#define PACKET_AGENT_NATIVE_WIN_H
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00 /* Windows 10, as Node 20 requires: inet_ntop, GetAdaptersAddresses' LUIDs */
#endif
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include "native.h"

/* UTF-16 (Windows' wide strings) to UTF-8 in `out`; "" when it does not convert or fit. */
void utf16_to_utf8(const wchar_t *in, char *out, size_t size);
/* Windows' words for error `err` (GetLastError, WSAGetLastError), in UTF-8, without the trailing line break. */
void win_error_text(DWORD err, char *out, size_t size);
/* The error of a Linux-only function: code 'UNSUPPORTED', "<what> is not supported on Windows". */
napi_value throw_unsupported(napi_env env, const char *what);
/* adapters_win.c: adapters() for the pcap_capture_win.c exports. */
napi_value WinAdapters(napi_env env, napi_callback_info info);

#endif
