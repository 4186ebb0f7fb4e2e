#include "support/citation.hpp"

#include <cctype>

namespace vcpuspec {
namespace {

enum class Shape { Manual, Code, Commit };

struct Kind {
  const char* name;
  const char* title;  // how the text starts
  Shape shape;
  unsigned max_vol;  // manuals: volumes 1..max_vol
};

// The sources the spec cites. A new project is one row here and one in
// citation_url.
constexpr Kind kKinds[] = {
    {"sdm", "SDM", Shape::Manual, 4},          {"apm", "APM", Shape::Manual, 5},
    {"linux", "Linux", Shape::Code, 0},        {"commit", "Linux commit", Shape::Commit, 0},
    {"kut", "kvm-unit-tests", Shape::Code, 0}, {"qemu", "QEMU", Shape::Code, 0},
    {"bochs", "Bochs", Shape::Code, 0},        {"xen", "Xen", Shape::Code, 0},
    {"virtualbox", "VirtualBox", Shape::Code, 0}, {"freebsd", "FreeBSD", Shape::Code, 0},
    {"acrn", "ACRN", Shape::Code, 0},          {"crosvm", "crosvm", Shape::Code, 0},
    {"cloud_hypervisor", "Cloud Hypervisor", Shape::Code, 0},
    {"firecracker", "Firecracker", Shape::Code, 0},
    {"haxm", "HAXM", Shape::Code, 0},          {"netbsd", "NetBSD", Shape::Code, 0},
};

const Kind* find_kind(std::string_view name) {
  for (const Kind& k : kKinds)
    if (name == k.name) return &k;
  return nullptr;
}

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

// A commit as written (12 to 40 hex digits) or a tag: shown as given,
// except that a full 40-digit hash is cut to the usual 12.
std::string short_version(const std::string& at) {
  return at.size() == 40 && is_hex(at) ? at.substr(0, 12) : at;
}

bool has_space(std::string_view s) {
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c))) return true;
  return false;
}

}  // namespace

std::string citation_kinds() {
  std::string out;
  for (const Kind& k : kKinds) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

std::string render(const Citation& c) {
  const Kind* k = find_kind(c.kind);
  std::string out = k ? k->title : c.kind;
  if (k && k->shape == Shape::Manual) {
    out += " Vol." + std::to_string(c.vol) + " " + c.locator;
  } else if (k && k->shape == Shape::Commit) {
    out += " " + short_version(c.locator);
  } else {
    out += " " + c.locator;
    if (!c.fn.empty()) out += " " + c.fn + "()";
    if (!c.at.empty()) out += " at " + short_version(c.at);
  }
  if (!c.detail.empty()) out += " (" + c.detail + ")";
  return out;
}

std::string citation_url(const Citation& c) {
  const std::string& at = c.at;
  const bool commit = at.size() >= 12 && is_hex(at);
  if (c.kind == "sdm") return "https://www.intel.com/content/www/us/en/developer/articles/technical/intel-sdm.html";
  if (c.kind == "apm") {
    // The AMD64 manuals by publication number: volumes 1-5.
    static const char* const pub[] = {"", "24592", "24593", "24594", "26568", "26569"};
    if (c.vol < 1 || c.vol > 5) return "";
    return std::string("https://www.amd.com/content/dam/amd/en/documents/processor-tech-docs/programmer-references/") +
           pub[c.vol] + ".pdf";
  }
  const std::string kernel = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/";
  if (c.kind == "linux") return kernel + "tree/" + c.locator + (commit ? "?id=" : "?h=") + at;
  if (c.kind == "commit") return kernel + "commit/?id=" + c.locator;
  if (c.kind == "kut") return "https://gitlab.com/kvm-unit-tests/kvm-unit-tests/-/blob/" + at + "/" + c.locator;
  if (c.kind == "qemu") return "https://gitlab.com/qemu-project/qemu/-/blob/" + at + "/" + c.locator;
  if (c.kind == "bochs") return "https://github.com/bochs-emu/Bochs/blob/" + at + "/" + c.locator;
  if (c.kind == "xen") return "https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=" + c.locator + ";hb=" + at;
  if (c.kind == "virtualbox") return "https://github.com/VirtualBox/virtualbox/blob/" + at + "/" + c.locator;
  if (c.kind == "freebsd") return "https://github.com/freebsd/freebsd-src/blob/" + at + "/" + c.locator;
  if (c.kind == "acrn") return "https://github.com/projectacrn/acrn-hypervisor/blob/" + at + "/" + c.locator;
  if (c.kind == "crosvm") return "https://chromium.googlesource.com/crosvm/crosvm/+/" + at + "/" + c.locator;
  if (c.kind == "cloud_hypervisor")
    return "https://github.com/cloud-hypervisor/cloud-hypervisor/blob/" + at + "/" + c.locator;
  if (c.kind == "firecracker") return "https://github.com/firecracker-microvm/firecracker/blob/" + at + "/" + c.locator;
  if (c.kind == "haxm") return "https://github.com/intel/haxm/blob/" + at + "/" + c.locator;
  if (c.kind == "netbsd") return "https://github.com/NetBSD/src/blob/" + at + "/" + c.locator;
  return "";
}

std::string citation_problem(const Citation& c) {
  const Kind* k = find_kind(c.kind);
  if (!k) return "unknown citation kind '" + c.kind + "': one of " + citation_kinds() + ", or a plain \"string\"";
  if (c.locator.empty()) return std::string("a ") + c.kind + " citation needs what it points at, not \"\"";
  switch (k->shape) {
    case Shape::Manual:
      if (!c.fn.empty() || !c.at.empty())
        return std::string("a manual has no `fn` or `at`: cite ") + c.kind + " \"SECTION\" vol N";
      if (c.vol < 1 || c.vol > k->max_vol)
        return std::string("cite ") + c.kind + " needs `vol N` with N from 1 to " + std::to_string(k->max_vol) +
               (c.vol ? " (it says " + std::to_string(c.vol) + ")" : "");
      return "";
    case Shape::Commit:
      if (c.vol || !c.fn.empty() || !c.at.empty()) return "a commit citation is its hash: cite commit \"HASH\" \"subject\"";
      if (c.locator.size() < 12 || c.locator.size() > 40 || !is_hex(c.locator))
        return "'" + c.locator + "' is not a commit hash (12 to 40 hex digits)";
      return "";
    case Shape::Code:
      if (c.vol) return "`vol` is for manuals (sdm, apm)";
      if (c.locator.front() == '/' || c.locator.find("..") != std::string::npos || has_space(c.locator))
        return "'" + c.locator + "' is not a path inside the project (relative, no spaces, no '..')";
      if (c.at.empty())
        return std::string("cite ") + c.kind + " \"" + c.locator +
               "\" needs `at \"TAG\"` or `at \"COMMIT\"`: the version the file was read at";
      if (has_space(c.at)) return "'" + c.at + "' is not a tag or a commit";
      return "";
  }
  return "";
}

}  // namespace vcpuspec
