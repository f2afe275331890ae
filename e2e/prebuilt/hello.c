#include <stdio.h>

int main(void) {
  puts("hello from a standalone binary");
  return 0;
}
