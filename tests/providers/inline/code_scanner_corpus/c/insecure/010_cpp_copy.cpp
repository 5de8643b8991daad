#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

void run(const std::string &user_input) {
    char buf[32];
    std::strcpy(buf, user_input.c_str()); // expect: c.strcpy
    std::string cmd = "ping -c 1 " + user_input;
    std::system(cmd.c_str()); // expect: c.system
    std::cout << buf << std::endl;
}
