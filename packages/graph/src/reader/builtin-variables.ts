/**
 * GNU Make's built-in variables (origin `default`), the same text as
 * `make -p` prints, so that a recipe using them expands to the command make
 * would run. The flags (`CFLAGS`, `LDLIBS` ...) are not set, as in Make.
 */
export const BUILTIN_VARIABLES: readonly (readonly [string, string])[] = [
  ["AR", "ar"],
  ["ARFLAGS", "rv"],
  ["AS", "as"],
  ["CC", "cc"],
  ["CXX", "g++"],
  ["CPP", "$(CC) -E"],
  ["LD", "ld"],
  ["LEX", "lex"],
  ["YACC", "yacc"],
  ["RM", "rm -f"],
  ["OUTPUT_OPTION", "-o $@"],
  ["COMPILE.c", "$(CC) $(CFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c"],
  ["COMPILE.cc", "$(CXX) $(CXXFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c"],
  ["COMPILE.C", "$(COMPILE.cc)"],
  ["COMPILE.cpp", "$(COMPILE.cc)"],
  ["COMPILE.s", "$(AS) $(ASFLAGS) $(TARGET_MACH)"],
  ["COMPILE.S", "$(CC) $(ASFLAGS) $(CPPFLAGS) $(TARGET_MACH) -c"],
  ["PREPROCESS.S", "$(CC) -E $(CPPFLAGS)"],
  ["LINK.o", "$(CC) $(LDFLAGS) $(TARGET_ARCH)"],
  ["LINK.c", "$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH)"],
  ["LINK.cc", "$(CXX) $(CXXFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH)"],
  ["LINK.C", "$(LINK.cc)"],
  ["LINK.cpp", "$(LINK.cc)"],
  ["LINK.s", "$(CC) $(ASFLAGS) $(LDFLAGS) $(TARGET_MACH)"],
  ["LINK.S", "$(CC) $(ASFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_MACH)"],
];

/**
 * The flags the built-in recipes use and Make leaves unset: using one
 * without setting it is the convention, not a mistake (no FLOW018).
 */
export const BUILTIN_FLAG_NAMES: ReadonlySet<string> = new Set([
  "CFLAGS",
  "CXXFLAGS",
  "CPPFLAGS",
  "ASFLAGS",
  "LDFLAGS",
  "LDLIBS",
  "LOADLIBES",
  "TARGET_ARCH",
  "TARGET_MACH",
]);
