#ifndef FLATMIN_CMALLOC_SHIM_H
#define FLATMIN_CMALLOC_SHIM_H
// glibc's allocator tuning (mallopt), which the Swift Glibc module does not expose.
#include <malloc.h>
#endif
