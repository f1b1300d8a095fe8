#include "greet.h"

int count_words(const char *s) {
    int n = 0, in_word = 0;
    for (; *s; s++) {
        int blank = (*s == ' ' || *s == '\t' || *s == '\n');
        if (!blank && !in_word) n++;
        in_word = !blank;
    }
    return n;
}
