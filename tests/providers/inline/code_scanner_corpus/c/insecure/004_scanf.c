#include <stdio.h>

int main(void) {
    char word[16];
    char line[128];
    int age;
    scanf("%d %s", &age, word); // expect: c.scanf-unbounded
    sscanf(line, "%[^\n]", word); // expect: c.scanf-unbounded
    return 0;
}
