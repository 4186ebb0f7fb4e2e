#include "emit/emit_cpp.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <sstream>

#include "emit/cpp_text.hpp"
#include "ir/term_text.hpp"

namespace vcpuspec::emit {

namespace {

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llxULL", static_cast<unsigned long long>(v));
  return buf;
}

const char* slot_kind(ir::SlotKind k) {
  switch (k) {
    case ir::SlotKind::Register: return "rt::SlotKind::Register";
    case ir::SlotKind::Msr: return "rt::SlotKind::Msr";
    case ir::SlotKind::SegmentMember: return "rt::SlotKind::SegmentMember";
    case ir::SlotKind::DtableMember: return "rt::SlotKind::DtableMember";
    case ir::SlotKind::Param: return "rt::SlotKind::Param";
    case ir::SlotKind::Feature: return "rt::SlotKind::Feature";
    case ir::SlotKind::Control: return "rt::SlotKind::Control";
    case ir::SlotKind::Var: return "rt::SlotKind::Var";
    case ir::SlotKind::FlowParam: return "rt::SlotKind::FlowParam";
  }
  return "rt::SlotKind::Register";
}

// A checksum of the spec text (FNV-1a), to tell builds of different specs apart.
std::string digest(const std::vector<SourceFile>& files) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xFF;
    h *= 1099511628211ULL;
  };
  for (const SourceFile& f : files) {
    mix(f.path);
    mix(f.text);
  }
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// Any text as a C++ identifier: other characters become '_'.
std::string identifier(const std::string& text) {
  std::string n;
  for (char ch : text) n += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) n = "_" + n;
  return n;
}

// Mirrors checker/CMakeLists.txt: <parent dir>_<file name without its last
// extension>, as an identifier; the units are checks_<stem> and explain_<stem>.
std::string unit_stem(const std::string& spec_path) {
  std::string path = spec_path;
  size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  size_t dslash = dir.find_last_of('/');
  std::string parent = dslash == std::string::npos ? dir : dir.substr(dslash + 1);
  return identifier(parent + "_" + name);
}


class Emitter {
  // A CheckGroup: one unit's checks of one scope, at most 64.
  struct Group {
    std::string unit, scope, name;  // unit: the stem of its file's units
    std::vector<size_t> checks;  // indices into m_.checks
  };

 public:
  Emitter(const ir::Model& m, std::string ns) : m_(m), ns_(std::move(ns)) {
    // C++ names from check ids (ARCH.CR0.HI -> ARCH_CR0_HI): stable when
    // checks are added elsewhere, so other units do not change.
    std::set<std::string> taken;
    for (const ir::Check& c : m_.checks) {
      std::string n = identifier(c.id);
      while (!taken.insert(n).second) n += "_";
      fn_.push_back(n);
    }
    for (const ir::Transition& t : m_.transitions) {
      std::string n = identifier(t.id);
      while (!taken.insert("T_" + n).second) n += "_";
      tfn_.push_back(n);
    }
  }

  // The links of a rule's citations, one per line (the SARIF rule's helpUri is the first).
  static std::string links(const std::vector<Citation>& sources) {
    std::string out;
    for (const Citation& c : sources) out += (out.empty() ? "" : "\n") + citation_url(c);
    return out;
  }

  // DSL text of `e`: a transition's old state reads as `old.`.
  std::string pr(const ir::Expr& e) const { return in_transition_ ? ir::print_transition(m_, e) : ir::print(m_, e); }

  // An expression over domain object `d`: the same text serves both domains.
  // With `lazy_` (concrete values only, a group's code) the logical
  // operators and ?: are C++'s own, so what a check need not read it skips.
  std::string expr(const ir::Expr& e) {
    using ir::Op;
    auto a = [&](size_t i) { return expr(*e.args[i]); };
    auto w = [](unsigned x) { return std::to_string(x); };
    if (lazy_) {
      switch (e.op) {
        case Op::LNot: return "uint64_t(!" + a(0) + ")";
        case Op::LAnd: return "uint64_t(" + a(0) + " && " + a(1) + ")";
        case Op::LOr: return "uint64_t(" + a(0) + " || " + a(1) + ")";
        case Op::Implies: return "uint64_t(!" + a(0) + " || " + a(1) + ")";
        case Op::Ite: return "(" + a(0) + " ? " + a(1) + " : " + a(2) + ")";
        default: break;
      }
    }
    switch (e.op) {
      case Op::Const: return "d.k(" + hex(e.value) + ", " + w(e.width) + ")";
      case Op::Var:
        // The slot by number (the table's index), named in a comment.
        return std::string(e.frame == ir::Frame::Prev ? "d.prev_var(" : "d.var(") + std::to_string(e.slot) + " /*" +
               cpp_comment(m_.slot(e.slot).name) + "*/, " + w(e.width) + ")";
      case Op::Arg: throw std::logic_error("emit: unbound def parameter");
      case Op::Extract: return "d.ext(" + a(0) + ", " + w(e.hi) + ", " + w(e.lo) + ")";
      case Op::LNot: return "d.lnot(" + a(0) + ")";
      case Op::BNot: return "d.bnot(" + a(0) + ", " + w(e.width) + ")";
      case Op::Neg: return "d.neg(" + a(0) + ", " + w(e.width) + ")";
      case Op::LAnd: return "d.land(" + a(0) + ", " + a(1) + ")";
      case Op::LOr: return "d.lor(" + a(0) + ", " + a(1) + ")";
      case Op::Implies: return "d.implies(" + a(0) + ", " + a(1) + ")";
      case Op::BAnd: return "d.band(" + a(0) + ", " + a(1) + ")";
      case Op::BOr: return "d.bor(" + a(0) + ", " + a(1) + ")";
      case Op::BXor: return "d.bxor(" + a(0) + ", " + a(1) + ")";
      case Op::Add: return "d.add(" + a(0) + ", " + a(1) + ", " + w(e.width) + ")";
      case Op::Sub: return "d.sub(" + a(0) + ", " + a(1) + ", " + w(e.width) + ")";
      case Op::Shl: case Op::Lshr:
        return std::string(e.op == Op::Shl ? "d.shl(" : "d.lshr(") + a(0) + ", " + a(1) + ", " + w(e.width) + ", " +
               w(e.args[1]->width) + ")";
      case Op::Eq: case Op::Ne: case Op::Ult: case Op::Ule: case Op::Ugt: case Op::Uge: {
        static const char* names[] = {"d.eq(", "d.ne(", "d.ult(", "d.ule(", "d.ugt(", "d.uge("};
        return names[static_cast<int>(e.op) - static_cast<int>(Op::Eq)] + a(0) + ", " + a(1) + ", " +
               w(e.args[0]->width) + ")";
      }
      case Op::Ite: return "d.ite(" + a(0) + ", " + a(1) + ", " + a(2) + ")";
      case Op::Sext: case Op::Zext:
        return std::string(e.op == Op::Sext ? "d.sext(" : "d.zext(") + a(0) + ", " + w(e.args[0]->width) + ", " +
               w(e.width) + ")";
      case Op::In: {
        std::string s = "d.in(" + a(0) + ", " + w(e.args[0]->width);
        for (size_t i = 1; i < e.args.size(); ++i) s += ", " + a(i);
        return s + ")";
      }
      case Op::Call: return expr(*e.body);
      case Op::Legal: case Op::After:
        throw std::logic_error("emit: legal() and after() belong to instructions, which the checker does not run");
    }
    throw std::logic_error("emit: unknown op");
  }

  // Code that records why `e` is not `want` (only runs on failure).
  void explain(const ir::Expr& e, bool want, const std::string& because, std::ostringstream& o, int depth) {
    using ir::Op;
    std::string pad(static_cast<size_t>(2 * depth + 2), ' ');
    std::string test = want ? "is_false()" : "is_true()";
    o << pad << "if ((" << expr(e) << ")." << test << ") {\n";
    switch (e.op) {
      case Op::LAnd: case Op::LOr:
        explain(*e.args[0], want, because, o, depth + 1);
        explain(*e.args[1], want, because, o, depth + 1);
        break;
      case Op::Implies:
        if (want) explain(*e.args[1], true, pr(*e.args[0]), o, depth + 1);
        else leaf(e, want, because, o, depth + 1);
        break;
      case Op::LNot: explain(*e.args[0], !want, because, o, depth + 1); break;
      case Op::Ite:
        o << pad << "  if ((" << expr(*e.args[0]) << ").is_true()) {\n";
        explain(*e.args[1], want, because, o, depth + 2);
        o << pad << "  } else if ((" << expr(*e.args[0]) << ").is_false()) {\n";
        explain(*e.args[2], want, because, o, depth + 2);
        // Condition unknown (partial input): the value is certain only when
        // both branches agree, so both are the reason.
        o << pad << "  } else {\n";
        explain(*e.args[1], want, because, o, depth + 2);
        explain(*e.args[2], want, because, o, depth + 2);
        o << pad << "  }\n";
        break;
      default: leaf(e, want, because, o, depth + 1);
    }
    o << pad << "}\n";
  }

  // Sets the bits of `reads` in `need`, a bitmap over the slots (need_test's argument).
  void add_reads(std::vector<uint64_t>& need, const std::vector<ir::SlotId>& reads) const {
    need.resize((m_.slots.size() + 63) / 64, 0);
    for (ir::SlotId r : reads) need[r / 64] |= 1ULL << (r % 64);
  }

  // Whether `state` holds every slot of `need`, tested only on the words that
  // have one (the fast path's guard runs once per check per state).
  static std::string need_test(const std::vector<uint64_t>& need, const std::string& state) {
    std::string t;
    for (size_t w = 0; w < need.size(); ++w)
      if (need[w]) t += std::string(t.empty() ? "" : " && ") + state + ".has_word(" + std::to_string(w) + ", " + hex(need[w]) + ")";
    return t.empty() ? "true" : t;
  }

  // Where no sub-term is certain on its own (a non-boolean leaf, partial
  // input), the failing assertion itself is the fact: a failure is never bare.
  std::string fallback(const ir::Expr& assertion) {
    return "  if (out.size() == before) rt::add_fact(out, " + cpp_string(pr(assertion)) + ", " + expr(assertion) +
           ", 1, \"1\", \"\");\n";
  }

  // A fact: the field, its value, what was expected.
  void leaf(const ir::Expr& e, bool want, const std::string& because, std::ostringstream& o, int depth) {
    using ir::Op;
    std::string pad(static_cast<size_t>(2 * depth + 2), ' ');
    std::string bec = cpp_string(because);
    auto fact = [&](const ir::Expr& subject, const std::string& expected_code) {
      o << pad << "rt::add_fact(out, " << cpp_string(pr(subject)) << ", " << expr(subject) << ", "
        << subject.width << ", " << expected_code << ", " << bec << ");\n";
    };
    switch (e.op) {
      case Op::Eq: case Op::Ne: case Op::Ult: case Op::Ule: case Op::Ugt: case Op::Uge: {
        static const char* ops[] = {"==", "!=", "<", "<=", ">", ">="};
        static const char* negated[] = {"!=", "==", ">=", ">", "<=", "<"};
        static const char* swapped[] = {"==", "!=", ">", ">=", "<", "<="};
        int i = static_cast<int>(e.op) - static_cast<int>(Op::Eq);
        const ir::Expr* lhs = e.args[0].get();
        const ir::Expr* rhs = e.args[1].get();
        std::string op = want ? ops[i] : negated[i];
        if (lhs->op == Op::Const && rhs->op != Op::Const) {  // `0 == X` reads better as `X == 0`
          std::swap(lhs, rhs);
          int j = 0;
          for (; j < 6 && op != ops[j]; ++j) {}
          op = j < 6 ? swapped[j] : op;
        }
        std::string expected;
        if (rhs->op == Op::Const) {
          expected = cpp_string(op + " " + ir::format_value(rhs->value, rhs->width));
        } else {
          bool atom = rhs->op == Op::Var || rhs->op == Op::Extract || rhs->op == Op::Call;
          std::string text = atom ? pr(*rhs) : "(" + pr(*rhs) + ")";
          expected = "std::string(" + cpp_string(op + " " + text + " = ") + ") + rt::format_tri(" +
                     expr(*rhs) + ", " + std::to_string(rhs->width) + ")";
        }
        fact(*lhs, expected);
        return;
      }
      case Op::In: {
        std::string list;
        for (size_t k = 1; k < e.args.size(); ++k) list += (k > 1 ? ", " : "") + pr(*e.args[k]);
        fact(*e.args[0], cpp_string((want ? "one of {" : "none of {") + list + "}"));
        return;
      }
      case Op::Call: {
        std::string what = e.def->name + (e.def->control_word ? "" : "(...)") + (e.def->doc.empty() ? "" : ": " + e.def->doc);
        const ir::Expr& subject = e.args.empty() ? e : *e.args[0];
        fact(subject, cpp_string(want ? what : "not " + what));
        return;
      }
      default:
        if (e.width == 1) fact(e, cpp_string(want ? "1" : "0"));
        return;
    }
  }

  // A check's or write rule's code: its read list and, for a write rule, its
  // `on` list in the tables (`tables`), its function declarations, in its
  // unit `u` when_/assert_ templates and eval_ (concrete fast path when every
  // slot it reads is known), and in the cold unit `cold` explain_, which runs
  // only on failures. A write rule (`old`) also reads the
  // state before the write.
  void rule_code(std::ostringstream& tables, std::ostringstream& u, std::ostringstream& cold, const std::string& n,
                 const ir::Expr* when,
                 const ir::Expr& assertion, const std::vector<ir::SlotId>& reads, bool old,
                 const std::vector<ir::SlotId>* on = nullptr) {
    if (!reads.empty()) {
      tables << "constexpr uint16_t kReads_" << n << "[] = {";
      for (size_t k = 0; k < reads.size(); ++k) tables << (k ? ", " : "") << reads[k];
      tables << "};\n";
    }
    if (on) {
      tables << "constexpr uint16_t kOn_" << n << "[] = {";
      for (size_t k = 0; k < on->size(); ++k) tables << (k ? ", " : "") << (*on)[k];
      tables << "};\n";
    }
    const std::string states = old ? "const rt::State& s, const rt::State& old" : "const rt::State& s";
    const std::string ptrs = old ? "&s, &old" : "&s";
    decls_ << "rt::Verdict eval_" << n << "(" << states << ");\n"
           << "void explain_" << n << "(" << states << ", std::vector<rt::Fact>& out);\n";
    std::vector<uint64_t> need;
    add_reads(need, reads);
    u << "namespace {\ntemplate <class D>\nauto when_" << n << "(const D& d) {\n  return "
      << (when ? expr(*when) : "d.k(1, 1)") << ";\n}\n";
    u << "template <class D>\nauto assert_" << n << "(const D& d) {\n  return " << expr(assertion)
      << ";\n}\n}  // namespace\n";
    u << "rt::Verdict eval_" << n << "(" << states << ") {\n"
      << "  if (" << need_test(need, "s") << (old ? " && " + need_test(need, "old") : "") << ") {\n"
      << (old ? "    const rt::Concrete d{&s, &old};\n" : "    const rt::Concrete d{&s};\n")
      << "    return rt::verdict(when_" << n << "(d), assert_" << n << "(d));\n  }\n"
      << "  const rt::Partial d{" << ptrs << "};\n  return rt::verdict(when_" << n << "(d), assert_" << n << "(d));\n}\n";
    u << "\n";
    cold << "void explain_" << n << "(" << states << ", std::vector<rt::Fact>& out) {\n"
         << "  const rt::Partial d{" << ptrs << "};\n";
    std::ostringstream ex;
    explain(assertion, true, "", ex, 0);
    cold << "  const std::size_t before = out.size();\n" << ex.str() << fallback(assertion) << "}\n\n";
  }

  // A group's function: with every slot its checks read present, each
  // check's condition and assertion on plain values, evaluated lazily, its
  // verdict a bit of the masks; otherwise each check's own eval_
  // (three-valued on what is missing).
  void group_code(std::ostringstream& tables, std::ostringstream& u, const Group& g) {
    const std::string& n = g.name;
    const std::vector<size_t>& part = g.checks;
    tables << "constexpr uint16_t kChecks_" << n << "[] = {";
    for (size_t k = 0; k < part.size(); ++k) tables << (k ? ", " : "") << part[k];
    tables << "};\n";
    decls_ << "rt::GroupVerdicts " << n << "(const rt::State& s);\n";
    std::vector<uint64_t> need;
    for (size_t i : part) add_reads(need, m_.checks[i].reads);
    u << "// The " << part.size() << " checks above of scope " << cpp_comment(m_.checks[part[0]].scope)
      << " (" << cpp_comment(m_.checks[part[0]].id) << " ...), together.\n"
      << "rt::GroupVerdicts " << n << "(const rt::State& s) {\n  rt::GroupVerdicts r;\n"
      << "  if (" << need_test(need, "s") << ") {\n    const rt::Concrete d{&s};\n"
      // Local bit sets, not r's fields: a store through r may alias the
      // state's values as far as the compiler knows, and would make it load
      // every slot again after each check.
      << "    uint64_t fail = 0, not_applicable = 0;\n";
    lazy_ = true;
    for (size_t k = 0; k < part.size(); ++k) {
      const ir::Check& chk = m_.checks[part[k]];
      u << "    // " << cpp_comment(chk.id) << "\n";
      if (chk.when)
        u << "    if (!" << expr(*chk.when) << ") not_applicable |= 1ULL << " << k << ";\n    else ";
      else
        u << "    ";
      u << "if (!" << expr(*chk.assertion) << ") fail |= 1ULL << " << k << ";\n";
    }
    lazy_ = false;
    u << "    r.fail = fail;\n    r.not_applicable = not_applicable;\n    return r;\n  }\n";
    for (size_t k = 0; k < part.size(); ++k) u << "  r.add(" << k << ", eval_" << fn_[part[k]] << "(s));\n";
    u << "  return r;\n}\n\n";
  }

  // The unit stem of the file a declaration comes from.
  const std::string& stem_of(const Loc& loc, const std::string& what) const {
    if (loc.file == 0 || loc.file > stem_of_file_.size()) throw std::invalid_argument("emit_checker: " + what + " has no file");
    return stem_of_file_[loc.file - 1];
  }

  // `spec/arch/invariants.vspec:27`: where a generated function's rule is written.
  std::string where(const Loc& loc) const {
    if (loc.file == 0 || loc.file > path_of_file_.size()) return "?";
    return path_of_file_[loc.file - 1] + ":" + std::to_string(loc.line);
  }

  // Each file's checks of one scope form groups of at most 64: the fast path.
  void plan_groups() {
    std::vector<std::pair<std::string, std::string>> keys;  // (unit stem, scope), first-seen order
    std::map<std::pair<std::string, std::string>, std::vector<size_t>> members;
    for (size_t i = 0; i < m_.checks.size(); ++i) {
      const ir::Check& chk = m_.checks[i];
      std::pair<std::string, std::string> key{stem_of(chk.loc, "check " + chk.id), chk.scope};
      if (!members.count(key)) keys.push_back(key);
      members[key].push_back(i);
    }
    for (const auto& key : keys) {
      const std::vector<size_t>& all = members[key];
      for (size_t first = 0; first < all.size(); first += 64) {
        Group g;
        g.unit = key.first;
        g.scope = key.second;
        g.name = "group_" + key.first + "_" + identifier(key.second) + (first ? "_" + std::to_string(first / 64) : "");
        g.checks.assign(all.begin() + static_cast<long>(first), all.begin() + static_cast<long>(std::min(all.size(), first + 64)));
        groups_.push_back(std::move(g));
      }
    }
  }

  GeneratedChecker run(const std::vector<SourceFile>& files) {
    GeneratedChecker out;
    for (const SourceFile& f : files) {
      stem_of_file_.push_back(unit_stem(f.path));
      path_of_file_.push_back(f.path);
    }
    plan_groups();
    std::string sources;
    for (const SourceFile& f : files) sources += (sources.empty() ? "" : ", ") + f.path;
    std::string banner =
        "// DO NOT EDIT: generated by vcpuspec-gen from " + cpp_comment(sources) +
        ".\n// Edit the spec and rebuild. Spec digest " + digest(files) + ".\n";
    // The header changes only when the tables' shape does: a spec edit that
    // keeps the counts recompiles the checker, not everything that includes it.
    std::string header_banner =
        "// DO NOT EDIT: generated by vcpuspec-gen from " + cpp_comment(sources) + ".\n// Edit the spec and rebuild.\n";

    std::ostringstream h;
    h << header_banner << "#pragma once\n#include <cstddef>\n\n#include \"runtime/check.hpp\"\n\n"
      << "namespace " << ns_ << " {\n\n"
      << "inline constexpr std::size_t kNumSlots = " << m_.slots.size() << ";\n"
      << "inline constexpr std::size_t kNumChecks = " << m_.checks.size() << ";\n"
      << "inline constexpr std::size_t kNumStates = " << m_.states.size() << ";\n"
      << "inline constexpr std::size_t kNumTransitions = " << m_.transitions.size() << ";\n"
      << "inline constexpr std::size_t kNumCheckGroups = " << groups_.size() << ";\n"
      << "extern const char* const kSpecDigest;\n\n"
      << "extern const rt::SlotInfo kSlots[kNumSlots];\n"
      << "extern const rt::CheckInfo kChecks[kNumChecks];\n"
      << "extern const rt::StateInfo kStates[kNumStates];\n"
      << "extern const rt::TransitionInfo kTransitions[kNumTransitions + 1];  // one past: never empty\n"
      << "extern const rt::CheckGroup kCheckGroups[kNumCheckGroups + 1];  // the checks' fast path\n"
      << "// Each check's `when` (\"\" for none) and assertion as ir::write_term text: the\n"
      << "// exact pass rebuilds them for Z3 without parsing the spec.\n"
      << "extern const char* const kCheckTerms[kNumChecks][2];\n\n"
      << "struct SpecFile {\n  const char* path;\n  const char* text;\n};\n"
      << "extern const SpecFile kSpecFiles[];\nextern const std::size_t kNumSpecFiles;\n\n"
      << "}  // namespace " << ns_ << "\n";
    out.header = h.str();

    std::ostringstream c;
    c << banner << "#include \"checker.gen.hpp\"\n#include \"checks.gen.hpp\"\n\n#include <string>\n#include <vector>\n\n"
      << "namespace " << ns_ << " {\nnamespace {\n\n";

    // Each spec file's checks in a unit of their own (checks_<dir>_<file>.gen.cpp):
    // an edit to one file's predicates recompiles that unit and the tables.
    // Its explanations and expected states, cold code, go to
    // explain_<dir>_<file>.gen.cpp, which the build compiles without optimisation.
    struct Unit {
      std::ostringstream hot, cold;
    };
    std::map<std::string, Unit> units;  // by stem
    for (const std::string& stem : stem_of_file_) units[stem];
    auto unit_for = [&](const Loc& loc, const std::string& what) -> Unit& { return units[stem_of(loc, what)]; };
    for (size_t i = 0; i < m_.checks.size(); ++i) {
      const ir::Check& chk = m_.checks[i];
      std::string n = fn_[i];
      Unit& u = unit_for(chk.loc, "check " + chk.id);
      u.hot << "// " << cpp_comment(chk.id) << " (" << cpp_comment(where(chk.loc)) << "): " << cpp_comment(pr(*chk.assertion))
            << "\n";
      u.cold << "// " << cpp_comment(chk.id) << " (" << cpp_comment(where(chk.loc)) << ")\n";
      rule_code(c, u.hot, u.cold, n, chk.when.get(), *chk.assertion, chk.reads, false);
    }
    for (const Group& g : groups_) group_code(c, units[g.unit].hot, g);
    // The RESET/INIT states and the write rules go to their files' units too.
    for (size_t i = 0; i < m_.states.size(); ++i) {
      const ir::StateDef& st = m_.states[i];
      std::string n = identifier(st.name);
      std::ostringstream& u = unit_for(st.loc, "state " + st.name).cold;
      decls_ << "void expected_" << n << "(const rt::State& s, const rt::State* prev, rt::ExpectedSlot* out);\n";
      u << "// state " << cpp_comment(st.name) << " (" << cpp_comment(where(st.loc)) << ")\n"
        << "void expected_" << n << "(const rt::State& s, const rt::State* prev, rt::ExpectedSlot* out) {\n"
        << "  const rt::Partial d{&s, prev};\n"
        << "  for (std::size_t i = 0; i < kNumSlots; ++i) out[i] = rt::ExpectedSlot{};\n";
      for (ir::SlotId id = 0; id < m_.slots.size(); ++id) {
        if (!st.init[id]) continue;
        for (const ir::Piece& p : st.init[id]->pieces) {
          u << "  {  // " << cpp_comment(m_.slot(id).name) << "[" << p.hi << ":" << p.lo << "]\n"
            << "    const rt::Tri t = " << expr(*p.value) << ";\n"
            << "    out[" << id << "].value |= t.v << " << p.lo << ";\n"
            << "    out[" << id << "].known |= t.k << " << p.lo << ";\n"
            << "    out[" << id << "].care |= " << hex(p.mask()) << ";\n  }\n";
        }
      }
      u << "}\n\n";
    }
    in_transition_ = true;
    for (size_t i = 0; i < m_.transitions.size(); ++i) {
      const ir::Transition& t = m_.transitions[i];
      std::string n = "T_" + tfn_[i];
      Unit& u = unit_for(t.loc, "transition " + t.id);
      u.hot << "// transition " << cpp_comment(t.id) << " (" << cpp_comment(where(t.loc)) << "): "
            << cpp_comment(pr(*t.assertion)) << "\n";
      u.cold << "// transition " << cpp_comment(t.id) << " (" << cpp_comment(where(t.loc)) << ")\n";
      rule_code(c, u.hot, u.cold, n, t.when.get(), *t.assertion, t.reads, true, &t.on);
    }
    out.decls = header_banner + "// The checks' functions, two units per spec file; the tables in checker.gen.cpp point at them.\n"
                "#pragma once\n#include <vector>\n\n#include \"checker.gen.hpp\"\n\nnamespace " + ns_ +
                "::checks {\n\n" + decls_.str() + "\n}  // namespace " + ns_ + "::checks\n";
    auto unit_text = [&](const std::string& body) {
      return header_banner + "#include \"checks.gen.hpp\"\n\n#include <string>\n#include <vector>\n\nnamespace " + ns_ +
             "::checks {\n\n" + body + "}  // namespace " + ns_ + "::checks\n";
    };
    for (auto& [stem, text] : units) {
      out.units.emplace_back("checks_" + stem + ".gen.cpp", unit_text(text.hot.str()));
      out.units.emplace_back("explain_" + stem + ".gen.cpp", unit_text(text.cold.str()));
    }
    std::sort(out.units.begin(), out.units.end());
    in_transition_ = false;
    // `loads F else e`: the guest's F where the control bit is 0, if the state decides it.
    for (ir::SlotId id = 0; id < m_.slots.size(); ++id) {
      const ir::Slot& s = m_.slots[id];
      if (!s.loads_else) continue;
      const unsigned w = m_.slot(s.loads.at(0)).width;
      c << "// " << cpp_comment(s.name) << " = 0: " << cpp_comment(m_.slot(s.loads[0]).name) << " is "
        << cpp_comment(pr(*s.loads_else)) << "\n"
        << "bool loads_else_" << id << "(const rt::State& s, uint64_t& value) {\n  const rt::Partial d{&s};\n"
        << "  const rt::Tri v = " << expr(*s.loads_else) << ";\n  if (!v.known(" << w << ")) return false;\n"
        << "  value = v.v;\n  return true;\n}\n";
    }
    c << "}  // namespace\n\n";

    // The checker defaults only configuration its checks and states read: a
    // flow's variables and hypervisor settings have defaults no check needs.
    std::vector<bool> read_by_checks(m_.slots.size(), false);
    for (const ir::Check& chk : m_.checks)
      for (ir::SlotId id : chk.reads) read_by_checks[id] = true;
    for (const ir::Transition& t : m_.transitions)
      for (ir::SlotId id : t.reads) read_by_checks[id] = true;
    for (const ir::StateDef& st : m_.states)
      for (const auto& init : st.init)
        if (init)
          for (const ir::Piece& p : init->pieces) {
            std::vector<ir::SlotId> r;
            ir::collect_reads(*p.value, r);
            for (ir::SlotId id : r) read_by_checks[id] = true;
          }
    // A control bit's `loads`, by slot number.
    for (ir::SlotId id = 0; id < m_.slots.size(); ++id) {
      const ir::Slot& s = m_.slots[id];
      if (s.loads.empty()) continue;
      c << "constexpr uint16_t kLoads_" << id << "[] = {";
      for (size_t k = 0; k < s.loads.size(); ++k) c << (k ? ", " : "") << s.loads[k];
      c << "};  // " << cpp_comment(s.name) << "\n";
    }
    c << "const rt::SlotInfo kSlots[kNumSlots] = {\n";
    for (ir::SlotId id = 0; id < m_.slots.size(); ++id) {
      const ir::Slot& s = m_.slots[id];
      bool has_default = s.default_value && s.kind != ir::SlotKind::Var && read_by_checks[id];
      c << "  {" << cpp_string(s.name) << ", " << s.width << ", " << slot_kind(s.kind) << ", " << cpp_string(s.group)
        << ", " << cpp_string(s.member) << ", " << hex(s.reserved_mask) << ", " << hex(s.fixed1_mask) << ", "
        << (has_default ? "true" : "false") << ", " << hex(has_default ? *s.default_value : 0) << ", "
        << (s.range ? "true" : "false") << ", " << hex(s.range ? s.range->first : 0) << ", "
        << hex(s.range ? s.range->second : 0) << ", "
        << (s.default_from ? static_cast<long>(*s.default_from) : -1L) << ", " << cpp_string(s.doc) << ", "
        << (s.msr_index ? std::to_string(*s.msr_index) : std::string("-1")) << ", ";
      // A bit of a control word: readers split raw words by it.
      const ir::ControlWord* w = s.word >= 0 ? &m_.control_words[static_cast<size_t>(s.word)] : nullptr;
      c << cpp_string(w ? w->name : "") << ", " << (w ? w->offset : -1) << ", " << (w ? s.bit : -1) << ", ";
      c << (s.loads.empty() ? "nullptr" : "kLoads_" + std::to_string(id)) << ", " << s.loads.size() << ", "
        << (s.loads_else ? "loads_else_" + std::to_string(id) : "nullptr") << ", "
        << cpp_string(s.loads_else ? pr(*s.loads_else) : "") << ", "
        << cpp_string(s.activates >= 0 ? m_.control_words[static_cast<size_t>(s.activates)].name : "") << "},\n";
    }
    c << "};\n\n";

    c << "const rt::CheckInfo kChecks[kNumChecks] = {\n";
    for (size_t i = 0; i < m_.checks.size(); ++i) {
      const ir::Check& chk = m_.checks[i];
      std::string n = std::to_string(i);
      c << "  {" << cpp_string(chk.id) << ",\n   " << cpp_string(chk.text) << ",\n   " << cpp_string(chk.cite)
        << ",\n   " << cpp_string(chk.scope) << ", " << cpp_string(chk.question) << ",\n   " << cpp_string(pr(*chk.assertion)) << ",\n   "
        << cpp_string(chk.when ? pr(*chk.when) : "") << ",\n   " << cpp_string(chk.note) << ",\n   "
        << cpp_string(links(chk.sources)) << ",\n   " << (chk.reads.empty() ? "nullptr" : "kReads_" + fn_[i]) << ", "
        << chk.reads.size() << ", checks::eval_" << fn_[i] << ", checks::explain_" << fn_[i] << "},\n";
    }
    c << "};\n\n";

    c << "const char* const kCheckTerms[kNumChecks][2] = {\n";
    for (const ir::Check& chk : m_.checks)
      c << "  {" << cpp_string(chk.when ? ir::write_term(*chk.when) : "") << ",\n   " << cpp_string(ir::write_term(*chk.assertion))
        << "},\n";
    c << "};\n\n";

    c << "const rt::CheckGroup kCheckGroups[kNumCheckGroups + 1] = {\n";
    for (const Group& g : groups_)
      c << "  {" << cpp_string(g.scope) << ", kChecks_" << g.name << ", " << g.checks.size() << ", checks::" << g.name << "},\n";
    c << "  {\"\", nullptr, 0, nullptr},\n};\n\n";

    c << "const rt::TransitionInfo kTransitions[kNumTransitions + 1] = {\n";
    in_transition_ = true;
    for (size_t i = 0; i < m_.transitions.size(); ++i) {
      const ir::Transition& t = m_.transitions[i];
      std::string n = "T_" + tfn_[i];
      std::string on;
      for (const std::string& o : t.on_names) on += (on.empty() ? "" : ", ") + o;
      c << "  {" << cpp_string(t.id) << ",\n   " << cpp_string(t.text) << ",\n   " << cpp_string(t.cite) << ",\n   "
        << cpp_string(t.scope) << ",\n   " << cpp_string(pr(*t.assertion)) << ",\n   "
        << cpp_string(t.when ? pr(*t.when) : "") << ",\n   " << cpp_string(t.note) << ",\n   " << cpp_string(on)
        << ",\n   " << (t.reads.empty() ? "nullptr" : "kReads_" + n) << ", " << t.reads.size() << ", kOn_" << n << ", "
        << t.on.size() << ", checks::eval_" << n << ", checks::explain_" << n << "},\n";
    }
    in_transition_ = false;
    c << "  {\"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", nullptr, 0, nullptr, 0, nullptr, nullptr},\n};\n\n";

    c << "const rt::StateInfo kStates[kNumStates] = {\n";
    for (size_t i = 0; i < m_.states.size(); ++i) {
      const ir::StateDef& st = m_.states[i];
      c << "  {" << cpp_string(st.name) << ", " << cpp_string(st.prev_name.value_or("")) << ", "
        << cpp_string(st.cite) << ", checks::expected_" << identifier(st.name) << "},\n";
    }
    c << "};\n\n}  // namespace " << ns_ << "\n";
    out.source = c.str();

    std::ostringstream sp;
    sp << banner << "#include \"checker.gen.hpp\"\n\nnamespace " << ns_ << " {\n\n"
       << "const char* const kSpecDigest = \"" << digest(files) << "\";\n\n"
       << "const SpecFile kSpecFiles[] = {\n";
    for (const SourceFile& f : files) {
      sp << "  {" << cpp_string(f.path) << ",\n";
      // One literal per source line keeps the generated file readable.
      size_t pos = 0;
      bool any = false;
      while (pos < f.text.size()) {
        size_t nl = f.text.find('\n', pos);
        size_t end = nl == std::string::npos ? f.text.size() : nl + 1;
        sp << "   " << cpp_string(std::string_view(f.text).substr(pos, end - pos)) << "\n";
        pos = end;
        any = true;
      }
      if (!any) sp << "   \"\"\n";
      sp << "  },\n";
    }
    sp << "};\nconst std::size_t kNumSpecFiles = " << files.size() << ";\n\n}  // namespace " << ns_ << "\n";
    out.specs = sp.str();
    return out;
  }

 private:
  const ir::Model& m_;
  std::string ns_;
  std::vector<std::string> fn_;   // per check: the name of its functions
  std::vector<std::string> tfn_;  // per transition
  std::ostringstream decls_;      // checks.gen.hpp: every function a table points at
  std::vector<std::string> stem_of_file_;  // per spec file: its units' stem
  std::vector<std::string> path_of_file_;  // per spec file: its path, for `at file:line` comments
  std::vector<Group> groups_;     // kCheckGroups, in order
  bool in_transition_ = false;
  bool lazy_ = false;  // expr(): C++ &&, ||, ?: (a group's concrete code)
};

}  // namespace


bool valid_namespace(const std::string& ns) {
  size_t i = 0;
  while (i < ns.size()) {
    if (!(std::isalpha(static_cast<unsigned char>(ns[i])) || ns[i] == '_')) return false;
    while (i < ns.size() && (std::isalnum(static_cast<unsigned char>(ns[i])) || ns[i] == '_')) ++i;
    if (i == ns.size()) return true;
    if (ns.compare(i, 2, "::") != 0) return false;
    i += 2;
  }
  return false;
}

GeneratedChecker emit_checker(const ir::Model& model, const std::vector<SourceFile>& files, const std::string& ns) {
  if (!valid_namespace(ns)) throw std::invalid_argument("emit_checker: bad namespace '" + ns + "'");
  return Emitter(model, ns).run(files);
}

}  // namespace vcpuspec::emit
