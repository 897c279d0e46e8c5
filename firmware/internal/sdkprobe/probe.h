/* The table every probe writes (included after the headers it probes):
 * entries of a 96-byte name and a 64-bit value, read back from the
 * object file by TestFallbackHeadersMatchTheSDK. Its first entry says
 * which headers the probe was built on: a quoted #include looks in the
 * including file's folder first, which is why the probes live here and
 * not beside the fallback headers. */
#ifndef NNIESCOPE_PROBE_H
#define NNIESCOPE_PROBE_H
#include <stddef.h>

#ifdef NNIESCOPE_FALLBACK_HEADERS
#define NNIESCOPE_PROBE_FALLBACK 1
#else
#define NNIESCOPE_PROBE_FALLBACK 0
#endif

#define P(x) {#x, (long long)(x)},
#define PROBE_TABLE const struct { char name[96]; long long value; } nniescope_probe[] = { P(NNIESCOPE_PROBE_FALLBACK)
#define PROBE_END };
#endif
