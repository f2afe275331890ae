/* Calls closefrom(), which glibc versions GLIBC_2.34: built against a newer
 * glibc, this binary runs on glibc 2.34 and later and the loader of an
 * older glibc refuses it ("version `GLIBC_2.34' not found"). */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

int main(void) {
  closefrom(3);
  puts("closefrom: ok");
  return 0;
}
