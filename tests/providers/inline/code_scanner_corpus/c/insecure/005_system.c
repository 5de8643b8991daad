#include <stdio.h>
#include <stdlib.h>

void show_file(const char *filename) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cat %s", filename);
    system(cmd); // expect: c.system
    FILE *p = popen(cmd, "r"); // expect: c.system
    pclose(p);
}
