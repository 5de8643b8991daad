#include <stdio.h>

#define BANNER "== tool v1 ==\n"

void report(const char *msg, int code) {
    printf(BANNER);
    printf("%s\n", msg);
    fprintf(stderr, "error %d: %s\n", code, msg);
    printf("done\n");
}
