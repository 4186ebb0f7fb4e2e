#include "readers/segments.hpp"

#include <cctype>

namespace vcpuspec::readers {

namespace {

bool has(std::string_view l, std::string_view s) { return l.find(s) != std::string_view::npos; }

// QEMU's first register line: "RAX=" or "EAX=" at a word start, then hex.
bool qemu_register_line(std::string_view l) {
  for (std::string_view k : {"RAX=", "EAX="})
    for (size_t at = l.find(k); at != std::string_view::npos; at = l.find(k, at + 1)) {
      bool word_start = at == 0 || !std::isalnum(static_cast<unsigned char>(l[at - 1]));
      size_t v = at + k.size();
      if (word_start && v < l.size() && std::isxdigit(static_cast<unsigned char>(l[v]))) return true;
    }
  return false;
}

// The format a line opens a dump of, or "" (most lines open none).
const char* opens(std::string_view l) {
  if (has(l, "(XEN)")) return has(l, "vmentry failure") || has(l, "*** Guest State") || has(l, ">>> Domain") ? "xen-vmcs" : "";
  if (has(l, "VMCB Control Area:") || has(l, "VMCB State Save Area:") || has(l, "FAILED VMRUN WITH VMCB") ||
      has(l, "last attempted VMRUN on CPU"))
    return "kvm-vmcb";
  if (has(l, "last attempted VM-entry on CPU") || has(l, "*** Guest State ***")) return "kvm-vmcs";
  if (has(l, "KVM internal error") || has(l, "entry failed, hardware error") || qemu_register_line(l)) return "qemu";
  return "";
}

// Whether `text` may hold a dump of a format other than `detected`: a few
// whole-text searches for needles that start with a byte rare in a QEMU dump
// (find() stops at each occurrence of the first byte), before any line scan.
bool other_formats(std::string_view text, const std::string& detected) {
  bool qemu = detected == "qemu";
  bool vmcs = has(text, "*** Guest") || has(text, "VM-entry on CPU");
  bool vmcb = has(text, "VMCB");
  if (qemu) return vmcs || vmcb;
  if (detected == "kvm-vmcs" || detected == "kvm-vmcb" || detected == "xen-vmcs")
    return (detected != "kvm-vmcb" && vmcb) || (detected == "kvm-vmcb" && vmcs) || has(text, "RAX=") || has(text, "EAX=");
  return false;  // JSON and kvm_sregs text stand alone
}

}  // namespace

std::vector<Segment> format_segments(std::string_view text, const std::string& detected) {
  std::vector<Segment> out;
  if (!other_formats(text, detected)) return out;
  uint32_t no = 1;
  for (size_t pos = 0; pos < text.size(); ++no) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view f = opens(text.substr(pos, end - pos));
    if (!f.empty() && (out.empty() || out.back().format != f)) {
      if (out.empty()) {
        out.push_back({0, text.size(), std::string(f), 1, no});  // the lines before go with the first part
      } else {
        out.back().end = pos;
        out.push_back({pos, text.size(), std::string(f), no, no});
      }
    }
    pos = end;
  }
  return out;
}

}  // namespace vcpuspec::readers
