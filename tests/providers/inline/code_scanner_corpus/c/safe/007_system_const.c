#include <stdlib.h>

int main(void) {
    system("clear");
    int roll = rand() % 6 + 1;
    return roll;
}
