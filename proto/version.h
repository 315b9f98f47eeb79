/*
 * version.h -- the version string both binaries report.  The build defines
 * CASHBOOK_VERSION from meson.build's project version; the fallback only
 * serves ad-hoc compiles outside meson.
 */
#ifndef CASHBOOK_PROTO_VERSION_H
#define CASHBOOK_PROTO_VERSION_H

#ifndef CASHBOOK_VERSION
#define CASHBOOK_VERSION "0.0.0-dev"
#endif

#endif
