#ifndef FOOCONF_H
#define FOOCONF_H
typedef unsigned long uLong;
typedef unsigned char Byte;
#endif
