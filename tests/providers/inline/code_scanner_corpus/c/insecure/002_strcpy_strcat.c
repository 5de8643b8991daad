#include <string.h>

void greet(const char *user) {
    char buffer[64];
    strcpy(buffer, "Hello, "); // expect: c.strcpy
    strcat(buffer, user); // expect: c.strcat
    puts(buffer);
}
