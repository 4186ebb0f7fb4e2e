// Construction, evaluation and printing of IR expressions. `evaluate` is the
// reference semantics; the Z3 lowering and the C++ emitter must match it.
#include "ir/ir.hpp"

#include "ir/flow.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace vcpuspec::ir {

const char* slot_kind_name(SlotKind k) {
  switch (k) {
    case SlotKind::Register: return "register";
    case SlotKind::Msr: return "msr";
    case SlotKind::SegmentMember: return "segment field";
    case SlotKind::DtableMember: return "descriptor-table field";
    case SlotKind::Param: return "param";
    case SlotKind::Feature: return "feature";
    case SlotKind::Control: return "control";
    case SlotKind::Var: return "var";
    case SlotKind::FlowParam: return "flow parameter";
  }
  return "slot";
}

const BitField* Slot::field(const std::string& n) const {
  for (const BitField& f : fields)
    if (f.name == n) return &f;
  return nullptr;
}

const BitField* Slot::field_at(unsigned hi, unsigned lo) const {
  for (const BitField& f : fields)
    if (!f.alias && f.hi == hi && f.lo == lo) return &f;
  for (const BitField& f : fields)
    if (f.hi == hi && f.lo == lo) return &f;
  return nullptr;
}

std::optional<SlotId> Model::find_slot(const std::string& name) const {
  auto it = slot_by_name.find(name);
  if (it == slot_by_name.end()) return std::nullopt;
  return it->second;
}

const Check* Model::find_check(const std::string& id) const {
  for (const Check& c : checks)
    if (c.id == id) return &c;
  return nullptr;
}

const Transition* Model::find_transition(const std::string& id) const {
  for (const Transition& t : transitions)
    if (t.id == id) return &t;
  return nullptr;
}

const StateDef* Model::find_state(const std::string& name) const {
  for (const StateDef& s : states)
    if (s.name == name) return &s;
  return nullptr;
}

const StateDef* Model::reset_state() const {
  for (const StateDef& s : states)
    if (!s.parametric()) return &s;
  return nullptr;
}

uint64_t ControlWord::declared() const {
  uint64_t m = 0;
  for (const auto& [slot, bit] : bits) m |= 1ULL << bit;
  return m;
}

const ControlWord* Model::find_control_word(const std::string& name) const {
  for (const ControlWord& w : control_words)
    if (!w.name.empty() && w.name == name) return &w;
  return nullptr;
}

const Group* Model::find_group(const std::string& name) const {
  for (const Group& g : groups)
    if (g.name == name) return &g;
  return nullptr;
}

uint64_t Piece::mask() const { return range_mask(hi, lo); }

uint64_t SlotInit::care_mask() const {
  uint64_t m = 0;
  for (const Piece& p : pieces) m |= p.mask();
  return m;
}

ExprPtr make_const(uint64_t value, unsigned width) {
  auto e = std::make_shared<Expr>();
  e->op = Op::Const;
  e->width = width;
  e->value = value & mask_of(width);
  return e;
}

ExprPtr make_var(SlotId slot, unsigned width, Frame frame) {
  auto e = std::make_shared<Expr>();
  e->op = Op::Var;
  e->width = width;
  e->slot = slot;
  e->frame = frame;
  return e;
}

ExprPtr make_extract(ExprPtr inner, unsigned hi, unsigned lo) {
  if (lo == 0 && hi + 1 == inner->width) return inner;
  if (inner->op == Op::Const) return make_const(inner->value >> lo, hi - lo + 1);
  auto e = std::make_shared<Expr>();
  e->op = Op::Extract;
  e->width = hi - lo + 1;
  e->hi = hi;
  e->lo = lo;
  e->loc = inner->loc;
  e->args.push_back(std::move(inner));
  return e;
}

ExprPtr make_op(Op op, unsigned width, std::vector<ExprPtr> args) {
  auto e = std::make_shared<Expr>();
  e->op = op;
  e->width = width;
  e->args = std::move(args);
  return e;
}

namespace {

uint64_t sext(uint64_t v, unsigned from, unsigned to) {
  v &= mask_of(from);
  if (from < 64 && (v >> (from - 1)) & 1) v |= ~mask_of(from);
  return v & mask_of(to);
}

struct Env {
  const std::vector<uint64_t>* cur;
  const std::vector<uint64_t>* prev;
};

uint64_t eval(const Expr& e, const Env& env) {
  const uint64_t m = mask_of(e.width);
  auto a = [&](size_t i) { return eval(*e.args[i], env); };
  switch (e.op) {
    case Op::Const: return e.value & m;
    case Op::Var: {
      const std::vector<uint64_t>* src = e.frame == Frame::Prev ? env.prev : env.cur;
      if (!src) throw std::logic_error("evaluate: no values for the frame of a Var");
      return src->at(e.slot) & m;
    }
    case Op::Arg: throw std::logic_error("evaluate: unbound def parameter");
    case Op::Extract: return (a(0) >> e.lo) & m;
    case Op::LNot: return a(0) ^ 1;
    case Op::BNot: return ~a(0) & m;
    case Op::Neg: return (0 - a(0)) & m;
    case Op::LAnd: return a(0) & a(1);
    case Op::LOr: return a(0) | a(1);
    case Op::Implies: return ((a(0) ^ 1) | a(1)) & 1;
    case Op::BAnd: return a(0) & a(1);
    case Op::BOr: return a(0) | a(1);
    case Op::BXor: return a(0) ^ a(1);
    case Op::Add: return (a(0) + a(1)) & m;
    case Op::Sub: return (a(0) - a(1)) & m;
    case Op::Shl: {
      uint64_t n = a(1);
      return n >= e.width ? 0 : (a(0) << n) & m;
    }
    case Op::Lshr: {
      uint64_t n = a(1);
      return n >= e.width ? 0 : a(0) >> n;
    }
    case Op::Eq: return a(0) == a(1);
    case Op::Ne: return a(0) != a(1);
    case Op::Ult: return a(0) < a(1);
    case Op::Ule: return a(0) <= a(1);
    case Op::Ugt: return a(0) > a(1);
    case Op::Uge: return a(0) >= a(1);
    case Op::Ite: return a(0) ? a(1) : a(2);
    case Op::Sext: return sext(a(0), e.args[0]->width, e.width);
    case Op::Zext: return a(0);
    case Op::In: {
      uint64_t v = a(0);
      for (size_t i = 1; i < e.args.size(); ++i)
        if (a(i) == v) return 1;
      return 0;
    }
    case Op::Call: return eval(*e.body, env);
    case Op::Legal: case Op::After:
      throw std::logic_error("evaluate: legal() and after() exist only in the mode machine's Z3 lowering");
  }
  throw std::logic_error("evaluate: unknown op");
}

bool has_var(const Expr& e) {
  if (e.op == Op::Var || e.op == Op::Arg || e.op == Op::Legal || e.op == Op::After) return true;
  if (e.op == Op::Call) return has_var(*e.body);
  for (const ExprPtr& x : e.args)
    if (has_var(*x)) return true;
  return false;
}

}  // namespace

std::optional<uint64_t> fold(const Expr& e) {
  if (has_var(e)) return std::nullopt;
  static const std::vector<uint64_t> none;
  return eval(e, Env{&none, &none});
}

uint64_t evaluate(const Expr& e, const std::vector<uint64_t>& cur, const std::vector<uint64_t>* prev) {
  return eval(e, Env{&cur, prev});
}

void collect_reads(const Expr& e, std::vector<SlotId>& out) {
  struct Walk {
    std::vector<SlotId>& out;
    void go(const Expr& x) {
      if (x.op == Op::Var) out.push_back(x.slot);
      if (x.op == Op::Call) go(*x.body);
      for (const ExprPtr& a : x.args) go(*a);
    }
  } w{out};
  w.go(e);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

bool reads_frame(const Expr& e, Frame f) {
  if (e.op == Op::Var) return e.frame == f;
  if (e.op == Op::Call) return reads_frame(*e.body, f);
  for (const ExprPtr& a : e.args)
    if (reads_frame(*a, f)) return true;
  return false;
}

namespace {
constexpr std::pair<DiffersKind, const char*> kDiffersKinds[] = {
    {DiffersKind::Intentional, "intentional"},
    {DiffersKind::Harmless, "harmless"},
    {DiffersKind::Discrepancy, "discrepancy"},
    {DiffersKind::ImplementationDefined, "implementation_defined"},
    {DiffersKind::Unknown, "unknown"},
};
}  // namespace

const char* differs_kind_name(DiffersKind k) {
  for (auto& [kind, name] : kDiffersKinds)
    if (kind == k) return name;
  return "?";
}

std::optional<DiffersKind> parse_differs_kind(const std::string& s) {
  for (auto& [kind, name] : kDiffersKinds)
    if (s == name) return kind;
  return std::nullopt;
}

std::string format_value(uint64_t v, unsigned width) {
  if (width == 1 || v < 10) return std::to_string(v);
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// ---- printing ------------------------------------------------------------------

namespace {

int precedence(Op op) {
  switch (op) {
    case Op::Const: case Op::Var: case Op::Arg: case Op::Extract: case Op::Call:
    case Op::Sext: case Op::Zext: case Op::Legal: case Op::After:
      return 100;
    case Op::LNot: case Op::BNot: case Op::Neg: return 90;
    case Op::Add: case Op::Sub: return 80;
    case Op::Shl: case Op::Lshr: return 70;
    case Op::BAnd: return 60;
    case Op::BXor: return 55;
    case Op::BOr: return 50;
    case Op::Eq: case Op::Ne: case Op::Ult: case Op::Ule: case Op::Ugt: case Op::Uge: return 40;
    case Op::In: return 35;
    case Op::LAnd: return 30;
    case Op::LOr: return 20;
    case Op::Implies: return 10;
    case Op::Ite: return 5;
  }
  return 0;
}

const char* op_text(Op op) {
  switch (op) {
    case Op::LNot: return "!";
    case Op::BNot: return "~";
    case Op::Neg: return "-";
    case Op::LAnd: return "&&";
    case Op::LOr: return "||";
    case Op::Implies: return "->";
    case Op::BAnd: return "&";
    case Op::BOr: return "|";
    case Op::BXor: return "^";
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Shl: return "<<";
    case Op::Lshr: return ">>";
    case Op::Eq: return "==";
    case Op::Ne: return "!=";
    case Op::Ult: return "<";
    case Op::Ule: return "<=";
    case Op::Ugt: return ">";
    case Op::Uge: return ">=";
    default: return "?";
  }
}

struct Printer {
  const Model& m;
  const std::vector<std::string>* arg_names = nullptr;
  const std::vector<Slot>* temps = nullptr;
  const char* prev_label = "prev.";

  const Slot& slot_of(SlotId id) const {
    if (id < m.slots.size() || !temps) return m.slot(id);
    return temps->at(id - m.slots.size());
  }
  std::string var_name(const Expr& e) const {
    std::string n = slot_of(e.slot).name;
    return e.frame == Frame::Prev ? prev_label + n : n;
  }

  std::string wrap(const Expr& e, int min_prec) const {
    std::string s = go(e);
    return precedence(e.op) < min_prec ? "(" + s + ")" : s;
  }

  std::string go(const Expr& e) const {
    switch (e.op) {
      case Op::Const: return format_value(e.value, e.width);
      case Op::Var: return var_name(e);
      case Op::Arg:
        return arg_names && e.index < arg_names->size() ? (*arg_names)[e.index] : "$" + std::to_string(e.index);
      case Op::Extract: {
        const Expr& in = *e.args[0];
        if (in.op == Op::Var) {
          if (const BitField* f = slot_of(in.slot).field_at(e.hi, e.lo)) return var_name(in) + "." + f->name;
        }
        std::string base = wrap(in, 100);
        return e.hi == e.lo ? base + "[" + std::to_string(e.hi) + "]"
                            : base + "[" + std::to_string(e.hi) + ":" + std::to_string(e.lo) + "]";
      }
      case Op::LNot: case Op::BNot: case Op::Neg:
        return std::string(op_text(e.op)) + wrap(*e.args[0], 90);
      case Op::Implies:
        return wrap(*e.args[0], 11) + " -> " + wrap(*e.args[1], 10);
      case Op::Ite:
        return wrap(*e.args[0], 6) + " ? " + wrap(*e.args[1], 6) + " : " + wrap(*e.args[2], 5);
      case Op::Sext: case Op::Zext:
        return std::string(e.op == Op::Sext ? "sext(" : "zext(") + go(*e.args[0]) + ", " +
               std::to_string(e.width) + ")";
      case Op::In: {
        std::string s = wrap(*e.args[0], 36) + " in {";
        for (size_t i = 1; i < e.args.size(); ++i) s += (i > 1 ? ", " : "") + go(*e.args[i]);
        return s + "}";
      }
      case Op::Legal: return "legal()";
      case Op::After: return "after(" + (e.state ? e.state->name : std::string("?")) + ")";
      case Op::Call: {
        std::string s = e.def ? e.def->name : "?";
        if (e.def && e.def->control_word) return s;
        s += "(";
        for (size_t i = 0; i < e.args.size(); ++i) s += (i ? ", " : "") + go(*e.args[i]);
        return s + ")";
      }
      default: {
        int p = precedence(e.op);
        return wrap(*e.args[0], p) + " " + op_text(e.op) + " " + wrap(*e.args[1], p + 1);
      }
    }
  }
};

}  // namespace

std::string print(const Model& m, const Expr& e) { return Printer{m}.go(e); }

std::string print_transition(const Model& m, const Expr& e) {
  Printer p{m};
  p.prev_label = "old.";
  return p.go(e);
}

std::string print_in_flow(const Model& m, const std::vector<Slot>* temps, const Expr& e, const char* prev_label) {
  Printer p{m};
  p.temps = temps;
  p.prev_label = prev_label;
  return p.go(e);
}

Model::Model() = default;
Model::~Model() = default;

const char* form_name(Property::Form f) {
  switch (f) {
    case Property::Form::Always: return "always";
    case Property::Form::AtEvent: return "at event";
    case Property::Form::Finally: return "finally";
    case Property::Form::FinallyIn: return "finally in";
    case Property::Form::Order: return "order";
  }
  return "?";
}

bool property_applies(const Property& p, const Flow& f) { return p.scope == "common" || p.scope == f.scope; }

const Slot& flow_slot(const Model& m, const Flow& f, SlotId id) {
  return id < m.slots.size() ? m.slot(id) : f.temps.at(id - m.slots.size());
}

}  // namespace vcpuspec::ir
