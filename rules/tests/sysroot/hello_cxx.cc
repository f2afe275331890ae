// C++ against the glibc 2.31 sysroot: its libstdc++ (gcc 9 headers, focal's
// libstdc++6), so that it runs where only that libstdc++ is.
#include <iostream>
#include <map>
#include <string>

int main() {
  std::map<std::string, int> counts;
  for (const char* word : {"glibc", "sysroot", "glibc"}) counts[word]++;
  std::cout << "hello_cxx glibc=" << counts["glibc"] << " sysroot=" << counts["sysroot"] << std::endl;
  return counts.size() == 2 ? 0 : 1;
}
