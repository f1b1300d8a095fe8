#ifndef GREET_H
#define GREET_H

/* Writes "Hello, <name>!" into buf (at most size bytes). Returns its length. */
int greet(char *buf, int size, const char *name);

/* The number of words in s, separated by blanks. */
int count_words(const char *s);

#endif
