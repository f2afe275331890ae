/* Declares closefrom (GLIBC_2.34) itself, so that it compiles against glibc
 * 2.31's headers and fails only when it links against glibc 2.31. */
extern void closefrom(int lowfd);

int main(void) {
  closefrom(3);
  return 0;
}
