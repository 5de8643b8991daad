#ifndef PORT_H
#define PORT_H

#include <stdio.h>

#define system(a) pgwin32_system(a)
#define popen(a, b) pgwin32_popen(a, b)
#define DEBUG_printf(s) printf(s)

int pgwin32_system(const char *command);
FILE *pgwin32_popen(const char *command, const char *type);

#endif
