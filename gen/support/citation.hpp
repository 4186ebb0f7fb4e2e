// Citations a reader can follow: a manual section, or a source file (and a
// function in it) at a named version. `cite sdm "27.3.1.2" vol 3 "..."`,
// `cite linux "arch/x86/kvm/x86.c" fn kvm_set_cr0 at "v6.12"`. Plain data,
// how each kind renders as text and as a link, and what makes one malformed.
#pragma once
#include <string>
#include <string_view>

#include "support/source.hpp"

namespace vcpuspec {

struct Citation {
  std::string kind;     // sdm, apm, linux, commit, kut, qemu, bochs, xen, virtualbox
  std::string locator;  // a manual section, a file path, or (commit) a commit hash
  std::string fn;       // a function defined in the file (`fn NAME`)
  std::string at;       // the tag or commit the file was read at (`at "v6.12"`)
  unsigned vol = 0;     // the manual volume (`vol 3`)
  std::string detail;   // what the source says there, in a few words
  Loc loc;
};

// `SDM Vol.3 27.3.1.2 (detail)`, `Linux arch/x86/kvm/x86.c kvm_set_cr0() at v6.12 (detail)`:
// the text reports and `explain` print.
std::string render(const Citation& c);

// A link that opens the manual or the file at that version.
std::string citation_url(const Citation& c);

// Empty when `c` is well-formed; otherwise what is wrong, as one sentence
// (an unknown kind, a volume out of range, a file without its version, ...).
std::string citation_problem(const Citation& c);

// The kinds, for messages and docs: "sdm, apm, linux, ...".
std::string citation_kinds();

}  // namespace vcpuspec
