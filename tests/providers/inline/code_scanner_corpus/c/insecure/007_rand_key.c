#include <stdlib.h>
#include <time.h>

void generate_key(unsigned char *key, size_t len) {
    srand(time(NULL));
    for (size_t i = 0; i < len; i++) {
        key[i] = rand() % 256; // expect: c.insecure-random
    }
}
