#include "readers/trace.hpp"

#include <array>
#include <cctype>
#include <map>

#include "readers/json.hpp"
#include "readers/state_json.hpp"

namespace vcpuspec::readers {

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view l = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    out.push_back(l);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

bool blank(std::string_view l) {
  for (char c : l)
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  return true;
}

uint32_t col_of(std::string_view line, std::string_view at) {
  return static_cast<uint32_t>(at.data() - line.data()) + 1;
}

// The given (not defaulted) slots of a read state, as writes.
std::vector<std::pair<size_t, uint64_t>> given(const StateInput& in) {
  std::vector<std::pair<size_t, uint64_t>> out;
  for (size_t i = 0; i < in.origin.size(); ++i)
    if (in.origin[i] == Origin::Given) out.emplace_back(i, in.state.get(i));
  return out;
}

// ---- JSON Lines ---------------------------------------------------------------
// {"step": 3, "op": "set_cr0", "by": "guest", "writes": {"CR0": "0x80000011"}}
// {"state": {...}, "cpu": {...}, "config": {...}}   a snapshot: known values, no write

class JsonlReader {
 public:
  JsonlReader(const std::string& file, Slots slots) : file_(file), slots_(slots) {}

  std::variant<Trace, ReadError> run(const std::vector<std::string_view>& lines) {
    Trace t;
    t.file = file_;
    t.format = "jsonl";
    t.vcpus.push_back(TraceVcpu{});
    static constexpr std::array<std::string_view, 4> kExtra = {"step", "op", "by", "writes"};
    for (size_t n = 0; n < lines.size(); ++n) {
      const uint32_t ln = static_cast<uint32_t>(n + 1);
      if (blank(lines[n])) continue;
      json::Error jerr;
      std::optional<json::Value> v = json::parse(lines[n], jerr);
      if (!v) return ReadError{file_, ln, jerr.col, "invalid JSON on a trace line: " + jerr.message};
      if (v->kind != json::Value::Kind::Object)
        return ReadError{file_, ln, v->col, "a trace line is a JSON object ({\"step\", \"op\", \"writes\"} or {\"state\"})"};
      fix_lines(*v, ln);
      TraceStep s;
      s.line = ln;
      s.step = std::to_string(ln);
      const json::Value* writes = nullptr;
      for (const json::Member& m : v->members) {
        if (m.key == "step") {
          if (m.value.kind != json::Value::Kind::Number && m.value.kind != json::Value::Kind::String)
            return at(m.value, "\"step\" must be a number or a string");
          s.step = m.value.text;
        } else if (m.key == "op") {
          if (m.value.kind != json::Value::Kind::String) return at(m.value, "\"op\" must be a string");
          s.op = m.value.text;
        } else if (m.key == "by") {
          if (m.value.kind != json::Value::Kind::String || (m.value.text != "guest" && m.value.text != "vmm"))
            return at(m.value, "\"by\" must be \"guest\" (an instruction) or \"vmm\" (a host write)");
          s.by = m.value.text == "vmm" ? Writer::Vmm : Writer::Guest;
        } else if (m.key == "writes") {
          writes = &m.value;
        }
      }
      // The line's own state-JSON keys (state, cpu, config, ...): a snapshot.
      auto snap = read_state_value(*v, file_, slots_, kExtra);
      if (auto* e = std::get_if<ReadError>(&snap)) return *e;
      const StateInput& known = std::get<StateInput>(snap);
      if (known.flavor_origin == Origin::Given) {
        if (!t.flavor.empty() && t.flavor != known.flavor)
          return ReadError{file_, ln, 1, "the trace names two flavors: " + t.flavor + " and " + known.flavor};
        t.flavor = known.flavor;
      }
      auto snapshot = given(known);
      if (writes) {
        if (!snapshot.empty())
          return at(*writes, "a trace line has either \"writes\" (a step) or \"state\" (a snapshot), not both");
        if (writes->kind != json::Value::Kind::Object)
          return at(*writes, "\"writes\" must be an object of fields, as \"state\" in the state JSON");
        json::Value wrapper;
        wrapper.kind = json::Value::Kind::Object;
        wrapper.line = ln;
        wrapper.col = 1;
        wrapper.members.push_back(json::Member{"state", *writes});
        auto w = read_state_value(wrapper, file_, slots_, {});
        if (auto* e = std::get_if<ReadError>(&w)) return *e;
        s.writes = given(std::get<StateInput>(w));
        if (s.writes.empty()) return at(*writes, "\"writes\" is empty: a step writes at least one field");
      } else {
        if (snapshot.empty() && known.flavor_origin != Origin::Given)
          return ReadError{file_, ln, v->col, "a trace line needs \"writes\" (a step) or \"state\" (a snapshot)"};
        s.sets_state = true;
        s.writes = std::move(snapshot);
        if (s.op.empty()) s.op = "state";
      }
      t.vcpus[0].steps.push_back(std::move(s));
    }
    if (t.vcpus[0].steps.empty()) return ReadError{file_, 1, 1, "the trace has no steps"};
    return t;
  }

 private:
  // The line's parser counts lines from 1; this file's line is `ln`.
  static void fix_lines(json::Value& v, uint32_t ln) {
    v.line = ln;
    if (v.key_line) v.key_line = ln;
    for (json::Value& i : v.items) fix_lines(i, ln);
    for (json::Member& m : v.members) fix_lines(m.value, ln);
  }
  ReadError at(const json::Value& v, std::string msg) const { return ReadError{file_, v.line, v.col, std::move(msg)}; }

  std::string file_;
  Slots slots_;
};

// ---- ftrace / trace-cmd text ---------------------------------------------------
//  qemu-system-x86-2453 [001] ....  93.4567: kvm_cr: cr_write 0 = 0x80050033
//  qemu-system-x86-2453 [001] ....  93.4568: kvm_msr: msr_write c0000080 = 0xd01
// The event formats are TP_printk of kvm_cr ("cr_%s %x = 0x%lx") and kvm_msr
// ("msr_%s %x = 0x%llx%s", " (#GP)" when the access faulted), arch/x86/kvm/trace.h.

struct Event {
  bool write = false;
  uint64_t index = 0, value = 0;
  bool faulted = false;
};

bool hex_at(std::string_view& s, uint64_t& out) {
  size_t n = 0;
  out = 0;
  while (n < s.size() && std::isxdigit(static_cast<unsigned char>(s[n]))) {
    if (n >= 16) return false;
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[n])));
    out = out * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    ++n;
  }
  s.remove_prefix(n);
  return n > 0;
}

void skip_spaces(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

// `rest` follows "kvm_cr:" / "kvm_msr:"; `what` is "cr" or "msr". Empty on success, else why not.
std::string parse_event(std::string_view& rest, std::string_view what, Event& e) {
  skip_spaces(rest);
  std::string w(what);
  if (rest.substr(0, w.size() + 1) != w + "_") return "expected " + w + "_write or " + w + "_read";
  rest.remove_prefix(w.size() + 1);
  if (rest.substr(0, 5) == "write") {
    e.write = true;
    rest.remove_prefix(5);
  } else if (rest.substr(0, 4) == "read") {
    rest.remove_prefix(4);
  } else {
    return "expected " + w + "_write or " + w + "_read";
  }
  skip_spaces(rest);
  if (!hex_at(rest, e.index)) return "expected the " + std::string(what == "cr" ? "control register number" : "MSR index") + " (hex)";
  skip_spaces(rest);
  if (rest.substr(0, 1) != "=") return "expected '= 0x<value>'";
  rest.remove_prefix(1);
  skip_spaces(rest);
  if (rest.substr(0, 2) != "0x") return "expected '0x<value>'";
  rest.remove_prefix(2);
  if (!hex_at(rest, e.value)) return "expected a hex value of at most 16 digits";
  skip_spaces(rest);
  if (rest.substr(0, 5) == "(#GP)") {
    e.faulted = true;
    rest.remove_prefix(5);
  }
  skip_spaces(rest);
  if (!rest.empty()) return "unexpected text after the value";
  return "";
}

std::string hex_text(uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 15]);
    v >>= 4;
  } while (v);
  return s;
}

std::variant<Trace, ReadError> read_ftrace(const std::vector<std::string_view>& lines, const std::string& file,
                                           Slots slots) {
  Trace t;
  t.file = file;
  t.format = "ftrace";
  std::map<std::string, size_t> vcpu_of;
  size_t unmodelled = 0, faulted = 0;
  for (size_t n = 0; n < lines.size(); ++n) {
    const uint32_t ln = static_cast<uint32_t>(n + 1);
    std::string_view l = lines[n];
    std::string_view what;
    size_t at = l.find("kvm_cr:");
    if (at != std::string_view::npos) {
      what = "cr";
    } else if ((at = l.find("kvm_msr:")) != std::string_view::npos) {
      what = "msr";
    } else {
      continue;  // headers, other events (kvm_entry, kvm_exit, ...)
    }
    std::string_view rest = l.substr(at + what.size() + 5);
    Event e;
    std::string why = parse_event(rest, what, e);
    if (!why.empty()) return ReadError{file, ln, col_of(l, rest), "kvm_" + std::string(what) + " event: " + why};
    // The task ("qemu-system-x86-2453") is the vCPU thread: text before " [cpu]".
    std::string task;
    size_t br = l.find('[');
    if (br != std::string_view::npos && br < at) {
      std::string_view tv = l.substr(0, br);
      while (!tv.empty() && std::isspace(static_cast<unsigned char>(tv.front()))) tv.remove_prefix(1);
      while (!tv.empty() && std::isspace(static_cast<unsigned char>(tv.back()))) tv.remove_suffix(1);
      task = tv;
    }
    long slot = -1;
    if (what == "cr") {
      if (e.index == 0 || e.index == 2 || e.index == 3 || e.index == 4 || e.index == 8)
        slot = find_slot(slots, "CR" + std::to_string(e.index));
      if (slot < 0) return ReadError{file, ln, static_cast<uint32_t>(at + 1), "kvm_cr event: CR" + hex_text(e.index) + " is not a control register"};
    } else {
      for (size_t i = 0; i < slots.size(); ++i)
        if (slots[i].msr_index >= 0 && static_cast<uint64_t>(slots[i].msr_index) == e.index) slot = static_cast<long>(i);
    }
    std::string op = std::string(what) + (e.write ? "_write " : "_read ") + hex_text(e.index);
    if (e.faulted) {  // refused: the register did not change
      ++faulted;
      continue;
    }
    if (slot < 0) {  // an MSR the spec does not model
      ++unmodelled;
      continue;
    }
    const rt::SlotInfo& s = slots[static_cast<size_t>(slot)];
    if (s.width < 64 && (e.value >> s.width) != 0)
      return ReadError{file, ln, static_cast<uint32_t>(at + 1), op + ": value 0x" + hex_text(e.value) + " does not fit in " +
                                                                    std::to_string(s.width) + "-bit " + s.name};
    auto [it, fresh] = vcpu_of.emplace(task, t.vcpus.size());
    if (fresh) t.vcpus.push_back(TraceVcpu{task, {}});
    TraceStep st;
    st.line = ln;
    st.step = std::to_string(ln);
    st.op = op;
    st.by = Writer::Guest;      // kvm_cr / kvm_msr trace guest MOV CR and RDMSR/WRMSR
    st.sets_state = !e.write;   // a read says what the register holds
    st.writes.emplace_back(static_cast<size_t>(slot), e.value);
    t.vcpus[it->second].steps.push_back(std::move(st));
  }
  if (t.vcpus.empty()) return ReadError{file, 1, 1, "the trace has no kvm_cr or kvm_msr event of a modelled register"};
  if (faulted) t.notes.push_back(std::to_string(faulted) + " access(es) marked (#GP) skipped: the register did not change");
  if (unmodelled) t.notes.push_back(std::to_string(unmodelled) + " access(es) to MSRs the spec does not model skipped");
  return t;
}

}  // namespace

std::variant<Trace, ReadError> read_trace(std::string_view text, const std::string& file, Slots slots) {
  std::vector<std::string_view> lines = lines_of(text);
  for (std::string_view l : lines) {
    if (blank(l)) continue;
    size_t i = l.find_first_not_of(" \t");
    if (l[i] == '{') return JsonlReader(file, slots).run(lines);
    break;
  }
  for (std::string_view l : lines)
    if (l.find("kvm_cr:") != std::string_view::npos || l.find("kvm_msr:") != std::string_view::npos)
      return read_ftrace(lines, file, slots);
  return ReadError{file, 1, 1, "not a trace: expected JSON Lines ({\"step\", \"op\", \"writes\"}) or ftrace kvm_cr/kvm_msr events"};
}

}  // namespace vcpuspec::readers
