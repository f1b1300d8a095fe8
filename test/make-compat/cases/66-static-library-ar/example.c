#include <stdio.h>
#include "foo.h"
int main(void) {
	const Byte msg[] = "hello, hello";
	char name[64];
	gz_name(name, "msg");
	printf("%s adler=%08lx crc=%08lx bound=%u\n", name, adler(1, msg, sizeof msg - 1), crc(0, msg, sizeof msg - 1), deflate_bound(100));
	return 0;
}
