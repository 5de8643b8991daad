#include <openssl/sha.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

int make_key(unsigned char *key, size_t len, unsigned char digest[32]) {
    if (getrandom(key, len, 0) != (ssize_t)len) return -1;
    SHA256(key, len, digest);
    char path[] = "/tmp/keyXXXXXX";
    int fd = mkstemp(path);
    close(fd);
    return 0;
}
