#ifndef mconf_h
#define mconf_h
#define MINI_STACK 16
#if defined(MINI_USE_LINUX)
#define MINI_PLATFORM "linux"
#elif defined(MINI_USE_POSIX)
#define MINI_PLATFORM "posix"
#else
#define MINI_PLATFORM "generic"
#endif
#endif
