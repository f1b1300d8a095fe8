#include "kv.h"

const char *kv_strerror(kv_status st) {
  switch (st) {
    case KV_OK: return "ok";
    case KV_ENOMEM: return "out of memory";
    case KV_ESYNTAX: return "syntax error";
    case KV_ENOTFOUND: return "not found";
  }
  return "unknown error";
}
