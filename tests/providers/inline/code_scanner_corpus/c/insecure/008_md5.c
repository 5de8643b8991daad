#include <openssl/evp.h>
#include <openssl/md5.h>

void digest_password(const char *password, unsigned char out[16]) {
    MD5_CTX ctx;
    MD5_Init(&ctx); // expect: c.weak-hash
    MD5_Update(&ctx, password, strlen(password)); // expect: c.weak-hash
    MD5_Final(out, &ctx); // expect: c.weak-hash
}

const EVP_MD *pick_digest(void) { return EVP_sha1(); } // expect: c.weak-hash
