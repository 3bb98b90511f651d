#ifndef FLATMIN_CZSTD_SHIM_H
#define FLATMIN_CZSTD_SHIM_H
// The advanced streaming API (ZSTD_CCtx_setParameter, ZSTD_compressStream2) is stable since 1.4.0.
#include <zstd.h>
#include <zstd_errors.h>
#endif
