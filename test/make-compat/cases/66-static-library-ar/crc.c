#include "foo.h"
#include "crc.h"
uLong crc(uLong c, const Byte *buf, unsigned len) {
	c = ~c & 0xffffffffUL;
	while (len--) {
		c ^= *buf++;
		for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ CRC_POLY : c >> 1;
	}
	return ~c & 0xffffffffUL;
}
