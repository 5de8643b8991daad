#include <stdarg.h>
#include <stdio.h>

void log_line(char *out, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsprintf(out, fmt, args); // expect: c.sprintf
    va_end(args);
}

void make_path(char *dst, const char *dir, const char *file) {
    sprintf(dst, "%s/%s", dir, file); // expect: c.sprintf
}
