#include "ir/term_text.hpp"

#include <charconv>
#include <stdexcept>

namespace vcpuspec::ir {

// Prefix form, one node per space-separated token:
//   k<width>:<hex value>          Const
//   v<width>:<slot>[p]            Var (p: Frame::Prev)
//   x<hi>:<lo> <arg>              Extract
//   o<op>:<width>:<n> <args...>   any other operator, its number in Op

namespace {

void write(const Expr& e, std::string& out) {
  if (e.op == Op::Call) return write(*e.body, out);
  if (!out.empty()) out += ' ';
  char buf[64];
  switch (e.op) {
    case Op::Const:
      out += 'k' + std::to_string(e.width) + ':';
      out.append(buf, std::to_chars(buf, buf + sizeof buf, e.value, 16).ptr);
      return;
    case Op::Var:
      out += 'v' + std::to_string(e.width) + ':' + std::to_string(e.slot) + (e.frame == Frame::Prev ? "p" : "");
      return;
    case Op::Extract:
      out += 'x' + std::to_string(e.hi) + ':' + std::to_string(e.lo);
      write(*e.args[0], out);
      return;
    case Op::Arg: case Op::Legal: case Op::After:
      throw std::invalid_argument("write_term: an argument, legal() or after() outside an instruction");
    default:
      out += 'o' + std::to_string(static_cast<int>(e.op)) + ':' + std::to_string(e.width) + ':' +
             std::to_string(e.args.size());
      for (const ExprPtr& a : e.args) write(*a, out);
  }
}

struct Reader {
  std::string_view text;
  size_t at = 0;

  [[noreturn]] void bad() const {
    throw std::invalid_argument("read_term: malformed term at offset " + std::to_string(at));
  }
  uint64_t number(int base = 10) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data() + at, text.data() + text.size(), v, base);
    if (ec != std::errc()) bad();
    at = static_cast<size_t>(p - text.data());
    return v;
  }
  void expect(char c) {
    if (at >= text.size() || text[at] != c) bad();
    ++at;
  }
  unsigned width() {
    uint64_t w = number();
    if (w < 1 || w > 64) bad();
    return static_cast<unsigned>(w);
  }

  ExprPtr node() {
    while (at < text.size() && text[at] == ' ') ++at;
    if (at >= text.size()) bad();
    auto e = std::make_shared<Expr>();
    char kind = text[at++];
    if (kind == 'k') {
      e->op = Op::Const;
      e->width = width();
      expect(':');
      e->value = number(16) & mask_of(e->width);
    } else if (kind == 'v') {
      e->op = Op::Var;
      e->width = width();
      expect(':');
      e->slot = static_cast<SlotId>(number());
      if (at < text.size() && text[at] == 'p') e->frame = Frame::Prev, ++at;
    } else if (kind == 'x') {
      e->op = Op::Extract;
      e->hi = static_cast<unsigned>(number());
      expect(':');
      e->lo = static_cast<unsigned>(number());
      if (e->lo > e->hi || e->hi > 63) bad();
      e->width = e->hi - e->lo + 1;
      e->args.push_back(node());
    } else if (kind == 'o') {
      uint64_t op = number();
      if (op > static_cast<uint64_t>(Op::In) || op <= static_cast<uint64_t>(Op::Extract)) bad();
      e->op = static_cast<Op>(op);
      expect(':');
      e->width = width();
      expect(':');
      uint64_t n = number();
      if (n > 4096) bad();
      for (uint64_t i = 0; i < n; ++i) e->args.push_back(node());
    } else {
      bad();
    }
    return e;
  }
};

}  // namespace

std::string write_term(const Expr& e) {
  std::string out;
  write(e, out);
  return out;
}

ExprPtr read_term(std::string_view text) {
  Reader r{text};
  ExprPtr e = r.node();
  if (r.at != text.size()) r.bad();
  return e;
}

}  // namespace vcpuspec::ir
