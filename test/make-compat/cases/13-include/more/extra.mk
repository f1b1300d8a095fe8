EXTRA := extra
