#ifndef FLATMIN_CZLIB_SHIM_H
#define FLATMIN_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 and deflateInit2 are macros that pass the library version and struct size;
// Swift cannot call macros, so these wrap them. Negative window bits: raw deflate, as zip stores it.
static inline int flatmin_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -MAX_WBITS);
}

static inline int flatmin_deflate_init_raw(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
}
#endif
