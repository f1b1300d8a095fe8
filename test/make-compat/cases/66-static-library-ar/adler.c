#include "foo.h"
#define BASE 65521UL
uLong adler(uLong a, const Byte *buf, unsigned len) {
	uLong s1 = a & 0xffff, s2 = (a >> 16) & 0xffff;
	while (len--) { s1 = (s1 + *buf++) % BASE; s2 = (s2 + s1) % BASE; }
	return (s2 << 16) | s1;
}
