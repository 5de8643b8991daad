#include <stdio.h>
#include <string.h>

int main(void) {
    char name[32];
    char greeting[64];
    if (fgets(name, sizeof name, stdin) == NULL) return 1;
    name[strcspn(name, "\n")] = '\0';
    strncpy(greeting, "Hello, ", sizeof greeting - 1);
    greeting[sizeof greeting - 1] = '\0';
    snprintf(greeting, sizeof greeting, "Hello, %s", name);
    puts(greeting);
    return 0;
}
