#include <stdio.h>
#include <syslog.h>

int main(int argc, char **argv) {
    if (argc > 1) {
        printf(argv[1]); // expect: c.format-string
        fprintf(stderr, argv[1]); // expect: c.format-string
        syslog(LOG_ERR, argv[1]); // expect: c.format-string
    }
    return 0;
}
