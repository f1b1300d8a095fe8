#include <cstdio>
extern "C" long twice(long);
int main() { std::printf("%ld\n", twice(21)); return 0; }
