#ifndef @NAME@_H
#define @NAME@_H
int @NAME@_count(void);
#endif
