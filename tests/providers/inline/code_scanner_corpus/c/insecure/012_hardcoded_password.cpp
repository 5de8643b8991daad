#include <string>

#define ADMIN_PASSWORD "Adm1n!Passw0rd" // expect: generic.hardcoded-secret

bool check(const std::string &password) {
    const std::string backup_password = "b4ckup-Pa55"; // expect: generic.hardcoded-secret
    return password == ADMIN_PASSWORD || password == backup_password;
}
