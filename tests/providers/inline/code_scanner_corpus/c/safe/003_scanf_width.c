#include <stdio.h>

int main(void) {
    char word[16];
    int age;
    if (scanf("%d %15s", &age, word) != 2) return 1;
    printf("100%% sure: %s\n", word);
    return 0;
}
