#ifndef FOO_H
#define FOO_H
#include "fooconf.h"
uLong adler(uLong a, const Byte *buf, unsigned len);
uLong crc(uLong c, const Byte *buf, unsigned len);
unsigned deflate_bound(unsigned len);
int gz_name(char *out, const char *name);
#endif
