#include <stdio.h>

/* Never use gets(); it cannot be used safely.
 * strcpy(dst, src) and sprintf(buf, fmt) are also unbounded. */
int main(void) {
    // system("rm -rf /") would be a terrible idea
    const char *advice = "avoid strcpy() and gets()";
    puts(advice);
    return 0;
}
