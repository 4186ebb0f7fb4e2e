// The shared text layer of the dump readers: which lines stay views of the
// input, what cleaning rewrites, and where wrapped-line joins end up.
#include <catch2/catch.hpp>

#include <string>

#include "readers/dump_text.hpp"

using namespace vcpuspec::readers;

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace

TEST_CASE("dump text: prefixes and CR are cut as views of the input, rewrites are owned", "[dump-text]") {
  const std::string input =
      "[  673.850218] kvm_intel: CR0=00000030\r\n"
      "> EAX=00000000 EBX=00000001\n"
      "RIP=&lt;0f&gt; \x1b[KCS =f000\n"
      "plain";
  text::Lines lines = text::clean_lines(input);
  const text::Cleaned& what = lines.cleaned;
  REQUIRE(lines.lines.size() == 4);
  CHECK(lines.lines[0].text == "CR0=00000030");
  CHECK(lines.lines[1].text == "EAX=00000000 EBX=00000001");
  CHECK(lines.lines[2].text == "RIP=<0f> CS =f000");
  CHECK(lines.lines[3].text == "plain");
  CHECK(lines.lines[3].no == 4);
  // Narrowed lines point into the input; the rewritten one does not.
  CHECK(inside(lines.lines[0].text, input));
  CHECK(inside(lines.lines[1].text, input));
  CHECK_FALSE(inside(lines.lines[2].text, input));
  CHECK(lines.owned.size() == 2);  // escapes removed, then entities decoded
  CHECK(what.prefixes);
  CHECK(what.quoted);
  CHECK(what.html);
  std::vector<ReaderNote> notes;
  lines.annotate(notes);
  REQUIRE(notes.size() == 2);  // HTML and quoting; prefixes go without a note
  // Moving the lines keeps every view valid.
  text::Lines moved = std::move(lines);
  CHECK(moved.lines[2].text == "RIP=<0f> CS =f000");
}

TEST_CASE("dump text: a wrapped line is glued with its join offset, kept through trimming", "[dump-text]") {
  const std::string input = "  RAX=0000000000000001 RBX=00000000\n00000002\nRCX=3\n";
  text::Lines lines = text::clean_lines(input);
  auto starts = [](std::string_view l) { return text::trim_view(l).substr(0, 4) == "RAX=" || l.substr(0, 4) == "RCX="; };
  // Whole once RBX= has its 16 digits; a line without RBX= is whole.
  auto complete = [](std::string_view l) {
    size_t at = l.find("RBX=");
    return at == std::string_view::npos || (l.size() >= at + 20 && l.substr(at + 4, 16).find(' ') == std::string_view::npos);
  };
  text::join_wrapped(lines, starts, complete);
  std::vector<ReaderNote> notes;
  lines.annotate(notes);
  REQUIRE(lines.lines.size() == 3);  // the glued line, RCX=, and the empty last line
  text::Line& l = lines.lines[0];
  CHECK(l.text == "  RAX=0000000000000001 RBX=0000000000000002");
  REQUIRE(l.joins.size() == 1);
  CHECK(l.text.substr(l.joins[0]) == "00000002");
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].text.find("lines 2") != std::string::npos);
  text::trim_line(l);
  CHECK(l.text == "RAX=0000000000000001 RBX=0000000000000002");
  REQUIRE(l.joins.size() == 1);
  CHECK(l.text.substr(l.joins[0]) == "00000002");
  // A number across the join is trusted only at a listed width.
  text::Scanner sc(l);
  size_t at = sc.find_key("RBX=");
  CHECK(sc.hex(at + 4, {16}).ok);
  CHECK_FALSE(sc.hex(at + 4).ok);
}
