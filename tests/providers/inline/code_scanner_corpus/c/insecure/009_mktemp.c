#include <stdio.h>
#include <stdlib.h>

FILE *open_scratch(void) {
    char name[] = "/tmp/scratchXXXXXX";
    mktemp(name); // expect: c.insecure-tempfile
    char *other = tmpnam(NULL); // expect: c.insecure-tempfile
    (void)other;
    return fopen(name, "w");
}
