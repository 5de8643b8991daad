#include <string.h>

void copy_name(char dst[16], const char *src) {
    memcpy(dst, src, strlen(src)); // expect: c.memcpy-strlen
}
