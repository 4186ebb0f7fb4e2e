// Expression typing: resolves names, checks widths, inlines defs.
// Integer literals take the width of what they meet (`CR0 == 0x10`).
#include <algorithm>

#include "sema/sema_impl.hpp"
#include "runtime/nearest.hpp"

namespace vcpuspec::sema {

std::string Analyzer::suggest(const std::string& name, const std::vector<std::string>& candidates) const {
  std::string best = support::nearest(name, candidates);
  return best.empty() ? "" : "; did you mean '" + best + "'?";
}

std::vector<std::string> Analyzer::all_names() const {
  std::vector<std::string> out;
  for (const auto& [n, _] : names_) out.push_back(n);
  return out;
}

std::string Analyzer::describe(const ast::Expr& e) const {
  switch (e.kind) {
    case ast::Expr::Kind::Name: return "'" + e.name.str() + "'";
    case ast::Expr::Kind::Int: return "literal " + e.literal.text;
    case ast::Expr::Kind::Call: return "'" + e.callee + "(...)'";
    default: return "the expression";
  }
}

// Literals, and operators over literals only, have no width of their own.
bool Analyzer::needs_hint(const ast::Expr& e) const {
  switch (e.kind) {
    case ast::Expr::Kind::Int: return true;
    case ast::Expr::Kind::Unary: return e.op != "!" && needs_hint(*e.args[0]);
    case ast::Expr::Kind::Binary: {
      static const std::set<std::string> arith = {"+", "-", "&", "|", "^"};
      if (arith.count(e.op)) return needs_hint(*e.args[0]) && needs_hint(*e.args[1]);
      if (e.op == "<<" || e.op == ">>") return needs_hint(*e.args[0]);
      return false;
    }
    case ast::Expr::Kind::Cond: return needs_hint(*e.args[1]) && needs_hint(*e.args[2]);
    default: return false;
  }
}

ir::ExprPtr Analyzer::type_literal(const ast::Int& lit, Loc loc, std::optional<unsigned> hint) {
  if (lit.overflow) {
    diags_.error(loc, "literal " + lit.text + " does not fit in 64 bits");
    return nullptr;
  }
  unsigned width = hint.value_or(64);
  if (width < 64 && (lit.value >> width) != 0) {
    diags_.error(loc, "literal " + lit.text + " does not fit in " + std::to_string(width) +
                          (width == 1 ? " bit (a boolean is 0 or 1)" : " bits"));
    return nullptr;
  }
  auto e = std::const_pointer_cast<ir::Expr>(ir::make_const(lit.value, width));
  e->loc = loc;
  return e;
}

ir::ExprPtr Analyzer::type_bool(const ast::Expr& e, const Scope& scope, const char* what) {
  ir::ExprPtr x = type(e, 1u, scope);
  if (!x) return nullptr;
  if (x->width != 1) {
    diags_.error(e.loc, std::string(what) + " must be a boolean (1 bit), but " + describe(e) + " is " +
                            std::to_string(x->width) + " bits (compare it, e.g. '!= 0')");
    return nullptr;
  }
  return x;
}

bool Analyzer::same_width(const ir::ExprPtr& a, const ir::ExprPtr& b, const ast::Expr& ea, const ast::Expr& eb,
                          Loc at) {
  if (a->width == b->width) return true;
  diags_.error(at, "width mismatch: " + describe(ea) + " is " + std::to_string(a->width) + " bits but " +
                       describe(eb) + " is " + std::to_string(b->width) + " bits (use zext/sext or a slice)");
  return false;
}

std::pair<ir::ExprPtr, ir::ExprPtr> Analyzer::type_pair(const ast::Expr& a, const ast::Expr& b, const Scope& scope,
                                                        std::optional<unsigned> hint) {
  ir::ExprPtr x, y;
  if (needs_hint(a) && !needs_hint(b)) {
    y = type(b, hint, scope);
    if (!y) return {nullptr, nullptr};
    x = type(a, y->width, scope);
  } else {
    x = type(a, hint, scope);
    if (!x) {
      type(b, hint, scope);  // still report errors on the other side
      return {nullptr, nullptr};
    }
    y = type(b, needs_hint(b) ? std::optional<unsigned>(x->width) : hint, scope);
  }
  return {x, y};
}

ir::ExprPtr Analyzer::type_name(const ast::Expr& e, const Scope& scope) {
  std::vector<std::string> parts = e.name.parts;
  std::vector<Loc> locs = e.name.part_locs;
  ir::Frame frame = ir::Frame::Cur;
  if (scope.prev_name && parts.size() > 1 && parts[0] == *scope.prev_name) {
    frame = ir::Frame::Prev;
    parts.erase(parts.begin());
    locs.erase(locs.begin());
  } else if (parts[0] == "old" && !scope.prev_name && parts.size() > 1 && !model_->find_slot(e.name.str()) &&
             !(scope.locals && scope.locals->count("old"))) {
    diags_.error(e.loc, "'old' is only defined inside a `transition`: the state before the write");
    return nullptr;
  } else if (parts[0] == "prev" && !scope.prev_name && parts.size() > 1) {
    diags_.error(e.loc, "'prev' is only defined inside a parametric state such as 'state INIT(prev)'");
    return nullptr;
  }
  if (scope.locals && frame == ir::Frame::Cur) {
    auto it = scope.locals->find(parts[0]);
    if (it != scope.locals->end()) {
      const Local& l = it->second;
      auto var = std::const_pointer_cast<ir::Expr>(ir::make_var(l.id, l.width));
      var->loc = e.loc;
      if (parts.size() == 1) return var;
      const ir::BitField* f = nullptr;
      for (const ir::BitField& bf : l.fields)
        if (bf.name == parts[1]) f = &bf;
      if (!f || parts.size() > 2) {
        std::vector<std::string> names;
        for (const ir::BitField& bf : l.fields) names.push_back(bf.name);
        diags_.error(locs[1], "local '" + parts[0] + "' has no field '" + parts[1] + "'" +
                                  (names.empty() ? std::string(" (it has no bitfield layout)") : suggest(parts[1], names)));
        return nullptr;
      }
      auto x = std::const_pointer_cast<ir::Expr>(ir::make_extract(var, f->hi, f->lo));
      x->loc = e.loc;
      return x;
    }
  }
  if (scope.def_params && parts.size() <= 2) {
    for (size_t i = 0; i < scope.def_params->size(); ++i) {
      if ((*scope.def_params)[i].name == parts[0]) {
        auto a = std::make_shared<ir::Expr>();
        a->op = ir::Op::Arg;
        a->index = static_cast<unsigned>(i);
        a->width = scope.def_param_widths[i];
        a->loc = e.loc;
        if (parts.size() == 1) return a;
        // `v.PG` of `v : CR0`
        const std::vector<ir::BitField>& fields = scope.def_param_fields.at(i);
        const ir::BitField* f = nullptr;
        for (const ir::BitField& bf : fields)
          if (bf.name == parts[1]) f = &bf;
        if (!f) {
          std::vector<std::string> names;
          for (const ir::BitField& bf : fields) names.push_back(bf.name);
          diags_.error(locs[1], "parameter '" + parts[0] + "' has no field '" + parts[1] + "'" +
                                    (names.empty() ? std::string(" (give it a register's layout: '") + parts[0] +
                                                         " : CR0')"
                                                   : suggest(parts[1], names)));
          return nullptr;
        }
        auto x = std::const_pointer_cast<ir::Expr>(ir::make_extract(a, f->hi, f->lo));
        x->loc = e.loc;
        return x;
      }
    }
  }
  // The longest prefix that names a slot; what follows is a bitfield.
  for (size_t k = parts.size(); k >= 1; --k) {
    std::string name;
    for (size_t i = 0; i < k; ++i) name += (i ? "." : "") + parts[i];
    auto slot_id = model_->find_slot(name);
    if (!slot_id) continue;
    const ir::Slot& slot = model_->slot(*slot_id);
    if (frame == ir::Frame::Prev && !(scope.in_flow ? ir::is_flow_state(slot.kind) : ir::is_state(slot.kind))) {
      diags_.error(e.loc, "'" + name + "' is configuration, not state: it has no previous value");
      return nullptr;
    }
    if (!scope.in_flow && (slot.kind == ir::SlotKind::Var || slot.kind == ir::SlotKind::FlowParam)) {
      diags_.error(e.loc, "'" + name + "' is a " + ir::slot_kind_name(slot.kind) +
                              " of the hypervisor model: only ops, flows and properties can read it");
      return nullptr;
    }
    used_slots_.insert(*slot_id);
    auto var = std::const_pointer_cast<ir::Expr>(ir::make_var(*slot_id, slot.width, frame));
    var->loc = e.loc;
    if (k == parts.size()) return var;
    if (k + 1 < parts.size()) {
      diags_.error(locs[k + 1], "'" + name + "." + parts[k] + "' is a bitfield; it has no '" + parts[k + 1] + "'");
      return nullptr;
    }
    const ir::BitField* f = slot.field(parts[k]);
    if (!f) {
      std::vector<std::string> names;
      for (const ir::BitField& bf : slot.fields) names.push_back(bf.name);
      diags_.error(locs[k], std::string(ir::slot_kind_name(slot.kind)) + " '" + name + "' has no field '" + parts[k] +
                                "'" + suggest(parts[k], names));
      return nullptr;
    }
    auto x = std::const_pointer_cast<ir::Expr>(ir::make_extract(var, f->hi, f->lo));
    x->loc = e.loc;
    return x;
  }
  std::string full = e.name.str();
  // A control word: its declared bits at their places, the others 0. It is
  // a call of a def of its own, so that findings and `explain` name `entry`.
  if (const ir::ControlWord* w = model_->find_control_word(full)) {
    const ir::Def*& def = word_defs_[full];
    if (!def) {
      ir::ExprPtr acc;
      for (const auto& [slot, bit] : w->bits) {
        ir::ExprPtr b = ir::make_op(ir::Op::Zext, w->width, {ir::make_var(slot, 1)});
        if (bit) b = ir::make_op(ir::Op::Shl, w->width, {b, ir::make_const(bit, w->width)});
        acc = acc ? ir::make_op(ir::Op::BOr, w->width, {acc, b}) : b;
      }
      // The bits the spec does not name come from `W.other_bits`.
      if (w->other) {
        ir::ExprPtr rest = ir::make_op(ir::Op::BAnd, w->width,
                                       {ir::make_var(*w->other, w->width), ir::make_const(~w->declared() & ir::mask_of(w->width), w->width)});
        acc = acc ? ir::make_op(ir::Op::BOr, w->width, {acc, rest}) : rest;
      }
      if (!acc) acc = ir::make_const(0, w->width);
      auto d = std::make_unique<ir::Def>();
      d->name = full;
      d->width = w->width;
      d->doc = w->doc;
      d->body = acc;
      d->loc = w->loc;
      d->control_word = true;
      def = d.get();
      model_->defs.push_back(std::move(d));
    }
    for (const auto& [slot, bit] : w->bits) used_slots_.insert(slot);
    if (w->other) used_slots_.insert(*w->other);
    auto call = std::make_shared<ir::Expr>();
    call->op = ir::Op::Call;
    call->width = def->width;
    call->def = def;
    call->body = def->body;
    call->loc = e.loc;
    return call;
  }
  // A whole segment or descriptor table is not a value.
  std::string head = parts[0];
  for (const ir::Group& g : model_->groups) {
    if (g.name == head || g.name == full) {
      std::string members;
      for (ir::SlotId m : g.members) members += (members.empty() ? "" : ", ") + model_->slot(m).member;
      if (parts.size() >= 2) {
        diags_.error(locs[1], "'" + g.name + "' has no member '" + parts[1] + "' (members: " + members + ")");
      } else {
        diags_.error(e.loc, "'" + g.name + "' is a " +
                                (g.kind == ir::SlotKind::SegmentMember ? "segment" : "descriptor table") +
                                "; name one of its members: " + members);
      }
      return nullptr;
    }
  }
  if (def_decls_.count(full)) {
    diags_.error(e.loc, "'" + full + "' is a def; call it: " + full + "(...)");
    return nullptr;
  }
  std::vector<std::string> candidates = all_names();
  if (scope.def_params)
    for (const ast::DefParam& p : *scope.def_params) candidates.push_back(p.name);
  diags_.error(e.loc, "unknown name '" + full + "'" + suggest(full, candidates));
  return nullptr;
}

namespace {

// A copy of `e` with every name whose head is a key of `heads` renamed:
// the body of `def f(s : Segment)` for the call `f(DS)` reads `DS.ar`.
ast::ExprPtr rename_heads(const ast::Expr& e, const std::map<std::string, std::string>& heads) {
  auto copy = std::make_unique<ast::Expr>();
  copy->kind = e.kind;
  copy->loc = e.loc;
  copy->literal = e.literal;
  copy->name = e.name;
  if (!copy->name.parts.empty())
    if (auto it = heads.find(copy->name.parts[0]); it != heads.end()) copy->name.parts[0] = it->second;
  copy->callee = e.callee;
  copy->op = e.op;
  copy->op_loc = e.op_loc;
  copy->hi = e.hi;
  copy->lo = e.lo;
  copy->has_lo = e.has_lo;
  for (const ast::ExprPtr& a : e.args) copy->args.push_back(rename_heads(*a, heads));
  return copy;
}

// Replaces Arg(i) in a def body by the actual arguments.
ir::ExprPtr substitute(const ir::ExprPtr& e, const std::vector<ir::ExprPtr>& actuals) {
  if (e->op == ir::Op::Arg) return actuals.at(e->index);
  if (e->args.empty() && !e->body) return e;
  auto copy = std::make_shared<ir::Expr>(*e);
  for (ir::ExprPtr& a : copy->args) a = substitute(a, actuals);
  if (copy->body) copy->body = substitute(copy->body, actuals);
  return copy;
}

}  // namespace

ir::ExprPtr Analyzer::type_call(const ast::Expr& e, std::optional<unsigned> hint, const Scope& scope) {
  if (e.callee == "sext" || e.callee == "zext") {
    if (e.args.size() != 2 || e.args[1]->kind != ast::Expr::Kind::Int) {
      diags_.error(e.loc, e.callee + " takes a value and a literal width: " + e.callee + "(x, 64)");
      return nullptr;
    }
    ir::ExprPtr x = type(*e.args[0], std::nullopt, scope);
    if (!x) return nullptr;
    const ast::Int& w = e.args[1]->literal;
    if (w.overflow || w.value < x->width || w.value > 64) {
      diags_.error(e.args[1]->loc, e.callee + " width " + w.text + " must be between the value's width (" +
                                       std::to_string(x->width) + ") and 64");
      return nullptr;
    }
    auto r = std::const_pointer_cast<ir::Expr>(
        ir::make_op(e.callee == "sext" ? ir::Op::Sext : ir::Op::Zext, static_cast<unsigned>(w.value), {x}));
    r->loc = e.loc;
    return r;
  }
  if (e.callee == "legal" || e.callee == "after") {
    // legal(): the state passes every arch check; after(INIT): it is one INIT
    // leaves from some legal state. Only the mode machine's Z3 lowering has them.
    if (!scope.in_instruction) {
      diags_.error(e.loc, "'" + e.callee + "()' can only be used inside an `instruction` or `signal`");
      return nullptr;
    }
    auto r = std::make_shared<ir::Expr>();
    r->width = 1;
    r->loc = e.loc;
    if (e.callee == "legal") {
      if (!e.args.empty()) {
        diags_.error(e.loc, "legal() takes no arguments: it is the current state passing every arch check");
        return nullptr;
      }
      r->op = ir::Op::Legal;
      return r;
    }
    const ir::StateDef* st = e.args.size() == 1 && e.args[0]->kind == ast::Expr::Kind::Name
                                 ? model_->find_state(e.args[0]->name.str())
                                 : nullptr;
    if (!st) {
      std::vector<std::string> known;
      for (const ir::StateDef& x : model_->states) known.push_back(x.name);
      std::string given = e.args.size() == 1 && e.args[0]->kind == ast::Expr::Kind::Name ? e.args[0]->name.str() : "";
      diags_.error(e.loc, "after takes one declared state: after(INIT)" +
                              (given.empty() ? std::string() : ", and '" + given + "' is none" + suggest(given, known)));
      return nullptr;
    }
    r->op = ir::Op::After;
    r->state = st;
    return r;
  }
  if (e.callee == "declared") {
    // declared(entry): the mask of the bits the word `entry` declares.
    const ir::ControlWord* w = e.args.size() == 1 && e.args[0]->kind == ast::Expr::Kind::Name
                                   ? model_->find_control_word(e.args[0]->name.str())
                                   : nullptr;
    if (!w) {
      diags_.error(e.loc, "declared takes one control word: declared(entry) is the mask of the bits `control entry` names");
      return nullptr;
    }
    auto r = std::const_pointer_cast<ir::Expr>(ir::make_const(w->declared(), w->width));
    r->loc = e.loc;
    return r;
  }
  if (auto it = def_decls_.find(e.callee); it != def_decls_.end() && takes_segment(*it->second))
    return type_segment_call(e, *it->second, hint, scope);
  const ir::Def* def = resolve_def(e.callee, e.loc);
  if (!def) {
    for (const auto& a : e.args) type(*a, std::nullopt, scope);
    return nullptr;
  }
  if (e.args.size() != def->params.size()) {
    diags_.error(e.loc, "'" + def->name + "' takes " + std::to_string(def->params.size()) + " argument" +
                            (def->params.size() == 1 ? "" : "s") + ", not " + std::to_string(e.args.size()));
    return nullptr;
  }
  std::vector<ir::ExprPtr> actuals;
  bool ok = true;
  for (size_t i = 0; i < e.args.size(); ++i) {
    unsigned want = def->params[i].width;
    ir::ExprPtr a = type(*e.args[i], want, scope);
    if (!a) { ok = false; continue; }
    if (a->width != want) {
      diags_.error(e.args[i]->loc, "width mismatch: argument '" + def->params[i].name + "' of '" + def->name +
                                       "' is " + std::to_string(want) + " bits but " + describe(*e.args[i]) + " is " +
                                       std::to_string(a->width) + " bits");
      ok = false;
    }
    actuals.push_back(a);
  }
  if (!ok || !def->body) return nullptr;
  auto call = std::make_shared<ir::Expr>();
  call->op = ir::Op::Call;
  call->width = def->width;
  call->def = def;
  call->args = actuals;
  call->body = substitute(def->body, actuals);
  call->loc = e.loc;
  return call;
}

bool Analyzer::names_struct(const std::string& type) const {
  for (const ir::Group& g : model_->groups)
    if (g.layout == type) return true;
  return false;
}

bool Analyzer::takes_segment(const ast::DefDecl& d) const {
  for (const ast::DefParam& p : d.params)
    if (!p.type.empty() && names_struct(p.type)) return true;
  return false;
}

// `f(DS)` of `def f(s : Segment)`: the body with DS in place of s, typed
// where the call stands, as if written out there. Its IR, the generated code
// and every finding are those of the hand-written expression.
ir::ExprPtr Analyzer::type_segment_call(const ast::Expr& e, const ast::DefDecl& d, std::optional<unsigned> hint,
                                        const Scope& scope) {
  if (e.args.size() != d.params.size()) {
    diags_.error(e.loc, "'" + d.name + "' takes " + std::to_string(d.params.size()) + " argument" +
                            (d.params.size() == 1 ? "" : "s") + ", not " + std::to_string(e.args.size()));
    return nullptr;
  }
  used_defs_.insert(d.name);
  std::map<std::string, std::string> heads;
  bool ok = true;
  for (size_t i = 0; i < d.params.size(); ++i) {
    const ast::DefParam& p = d.params[i];
    const ast::Expr& a = *e.args[i];
    if (p.type.empty() || !names_struct(p.type)) return nullptr;  // reported at the def (analyze_defs)
    const ir::Group* group = nullptr;
    if (a.kind == ast::Expr::Kind::Name && a.name.parts.size() == 1)
      for (const ir::Group& g : model_->groups)
        if (g.name == a.name.parts[0] && g.layout == p.type) group = &g;
    if (!group) {
      std::string names;
      for (const ir::Group& g : model_->groups)
        if (g.layout == p.type) names += (names.empty() ? "" : ", ") + g.name;
      diags_.error(a.loc, "argument '" + p.name + "' of '" + d.name + "' is a register of struct " + p.type + " (" +
                              names + "), not " + describe(a));
      ok = false;
      continue;
    }
    heads[p.name] = group->name;
  }
  if (!ok) return nullptr;
  if (!defs_in_progress_.insert(d.name).second) {
    diags_.error(e.loc, "def '" + d.name + "' calls itself (directly or through other defs); defs cannot recurse");
    return nullptr;
  }
  const ast::ExprPtr& body_ast = expanded_bodies_.emplace_back(rename_heads(*d.body, heads));
  ir::ExprPtr body = type(*body_ast, hint, scope);
  defs_in_progress_.erase(d.name);
  return body;
}

ir::ExprPtr Analyzer::type_binary(const ast::Expr& e, std::optional<unsigned> hint, const Scope& scope) {
  const std::string& op = e.op;
  const ast::Expr& ea = *e.args[0];
  const ast::Expr& eb = *e.args[1];
  auto done = [&](ir::Op o, unsigned w, ir::ExprPtr a, ir::ExprPtr b) {
    auto r = std::const_pointer_cast<ir::Expr>(ir::make_op(o, w, {std::move(a), std::move(b)}));
    r->loc = e.loc;
    return r;
  };
  if (op == "&&" || op == "||" || op == "->") {
    ir::ExprPtr a = type_bool(ea, scope, ("left operand of '" + op + "'").c_str());
    ir::ExprPtr b = type_bool(eb, scope, ("right operand of '" + op + "'").c_str());
    if (!a || !b) return nullptr;
    return done(op == "&&" ? ir::Op::LAnd : op == "||" ? ir::Op::LOr : ir::Op::Implies, 1, a, b);
  }
  if (op == "<<" || op == ">>") {
    ir::ExprPtr a = type(ea, hint, scope);
    if (!a) return nullptr;
    ir::ExprPtr b = type(eb, needs_hint(eb) ? std::optional<unsigned>(64) : std::nullopt, scope);
    if (!b) return nullptr;
    return done(op == "<<" ? ir::Op::Shl : ir::Op::Lshr, a->width, a, b);
  }
  static const std::map<std::string, ir::Op> compare = {{"==", ir::Op::Eq}, {"!=", ir::Op::Ne},
                                                        {"<", ir::Op::Ult}, {"<=", ir::Op::Ule},
                                                        {">", ir::Op::Ugt}, {">=", ir::Op::Uge}};
  if (auto it = compare.find(op); it != compare.end()) {
    auto [a, b] = type_pair(ea, eb, scope);
    if (!a || !b || !same_width(a, b, ea, eb, e.op_loc)) return nullptr;
    return done(it->second, 1, a, b);
  }
  static const std::map<std::string, ir::Op> arith = {
      {"&", ir::Op::BAnd}, {"|", ir::Op::BOr}, {"^", ir::Op::BXor}, {"+", ir::Op::Add}, {"-", ir::Op::Sub}};
  if (auto it = arith.find(op); it != arith.end()) {
    auto [a, b] = type_pair(ea, eb, scope, hint);
    if (!a || !b || !same_width(a, b, ea, eb, e.op_loc)) return nullptr;
    return done(it->second, a->width, a, b);
  }
  diags_.error(e.op_loc, "unknown operator '" + op + "'");
  return nullptr;
}

ir::ExprPtr Analyzer::type(const ast::Expr& e, std::optional<unsigned> hint, const Scope& scope) {
  switch (e.kind) {
    case ast::Expr::Kind::Int: return type_literal(e.literal, e.loc, hint);
    case ast::Expr::Kind::Bool: {
      auto c = std::const_pointer_cast<ir::Expr>(ir::make_const(e.literal.value, 1));
      c->loc = e.loc;
      return c;
    }
    case ast::Expr::Kind::Name: return type_name(e, scope);
    case ast::Expr::Kind::Call: return type_call(e, hint, scope);
    case ast::Expr::Kind::Slice: {
      ir::ExprPtr x = type(*e.args[0], std::nullopt, scope);
      if (!x) return nullptr;
      if (e.hi.overflow || e.lo.overflow || e.hi.value >= x->width) {
        diags_.error(e.op_loc, "slice [" + e.hi.text + (e.has_lo ? ":" + e.lo.text : "") + "] is outside " +
                                   describe(*e.args[0]) + " (" + std::to_string(x->width) + " bits)");
        return nullptr;
      }
      if (e.hi.value < e.lo.value) {
        diags_.error(e.op_loc, "slice [" + e.hi.text + ":" + e.lo.text + "] is backwards: write the high bit first");
        return nullptr;
      }
      auto r = std::const_pointer_cast<ir::Expr>(
          ir::make_extract(x, static_cast<unsigned>(e.hi.value), static_cast<unsigned>(e.lo.value)));
      if (r != x) r->loc = e.loc;
      return r;
    }
    case ast::Expr::Kind::Unary: {
      if (e.op == "!") {
        ir::ExprPtr x = type_bool(*e.args[0], scope, "operand of '!'");
        if (!x) return nullptr;
        auto r = std::const_pointer_cast<ir::Expr>(ir::make_op(ir::Op::LNot, 1, {x}));
        r->loc = e.loc;
        return r;
      }
      ir::ExprPtr x = type(*e.args[0], hint, scope);
      if (!x) return nullptr;
      auto r = std::const_pointer_cast<ir::Expr>(ir::make_op(e.op == "~" ? ir::Op::BNot : ir::Op::Neg, x->width, {x}));
      r->loc = e.loc;
      return r;
    }
    case ast::Expr::Kind::Binary: return type_binary(e, hint, scope);
    case ast::Expr::Kind::In: {
      // The first member with a width of its own fixes the width of the rest.
      size_t anchor = 0;
      for (size_t i = 0; i < e.args.size(); ++i)
        if (!needs_hint(*e.args[i])) { anchor = i; break; }
      ir::ExprPtr first = type(*e.args[anchor], std::nullopt, scope);
      if (!first) return nullptr;
      std::vector<ir::ExprPtr> items(e.args.size());
      items[anchor] = first;
      bool ok = true;
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i == anchor) continue;
        items[i] = type(*e.args[i], first->width, scope);
        if (!items[i] || !same_width(first, items[i], *e.args[anchor], *e.args[i], e.args[i]->loc))
          ok = false;
      }
      if (!ok) return nullptr;
      auto r = std::const_pointer_cast<ir::Expr>(ir::make_op(ir::Op::In, 1, items));
      r->loc = e.loc;
      return r;
    }
    case ast::Expr::Kind::Cond: {
      ir::ExprPtr c = type_bool(*e.args[0], scope, "condition of '?:'");
      auto [a, b] = type_pair(*e.args[1], *e.args[2], scope, hint);
      if (!c || !a || !b || !same_width(a, b, *e.args[1], *e.args[2], e.args[2]->loc)) return nullptr;
      auto r = std::const_pointer_cast<ir::Expr>(ir::make_op(ir::Op::Ite, a->width, {c, a, b}));
      r->loc = e.loc;
      return r;
    }
  }
  return nullptr;
}

}  // namespace vcpuspec::sema
