#include <iostream>
#include <string>
#include <vector>

int main() {
    std::string name;
    std::getline(std::cin, name);
    std::vector<std::string> parts{"Hello", name};
    for (const auto &part : parts) {
        std::cout << part << ' ';
    }
    std::cout << std::endl;
    return 0;
}
