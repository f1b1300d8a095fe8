#include <stdio.h>
#include "greet.h"

int main(int argc, char **argv) {
    char buf[256];
    const char *name = argc > 1 ? argv[1] : "world";
    greet(buf, (int)sizeof buf, name);
    printf("%s (%d words)\n", buf, count_words(buf));
    return 0;
}
