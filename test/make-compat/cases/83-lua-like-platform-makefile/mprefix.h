#ifndef mprefix_h
#define mprefix_h
#if defined(MINI_USE_LINUX) || defined(MINI_USE_POSIX)
#define _POSIX_C_SOURCE 200809L
#endif
#endif
