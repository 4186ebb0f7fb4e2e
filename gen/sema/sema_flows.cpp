// The hypervisor model: vars, events, ops, flows and properties.
// Every op call is inlined, so a flow becomes a straight-line list of guarded
// instructions (ir/flow.hpp). An `if` condition and every `let` are captured
// in a temporary when they are reached: later writes cannot change them.
#include <algorithm>

#include "ir/flow.hpp"
#include "sema/sema_impl.hpp"

namespace vcpuspec::sema {

struct Analyzer::FlowCtx {
  ir::Flow& flow;
  ir::ExprPtr guard;                  // the path condition here; null = true
  std::vector<std::string> stack;     // ops being inlined, for recursion
  uint32_t parent = 0;                // enclosing call + 1
  uint32_t step = 0;
  std::map<std::string, unsigned> temp_names;
  bool instruction = false;  // an instruction's body: architectural state only, `old.`, `any`
};

namespace {

ir::ExprPtr conj(const ir::ExprPtr& a, const ir::ExprPtr& b) {
  if (!a) return b;
  return ir::make_op(ir::Op::LAnd, 1, {a, b});
}

}  // namespace

std::string join(const std::vector<ast::Text>& texts) {
  std::string out;
  for (const ast::Text& t : texts) out += (out.empty() ? "" : "; ") + t.value;
  return out;
}

std::vector<Citation> sources_of(const std::vector<ast::Text>& cites) {
  std::vector<Citation> out;
  for (const ast::Text& t : cites)
    if (t.source) out.push_back(*t.source);
  return out;
}

std::optional<unsigned> Analyzer::type_ref_width(const ast::TypeRef& t, std::vector<ir::BitField>* fields) {
  switch (t.kind) {
    case ast::TypeRef::Kind::Bool: return 1u;
    case ast::TypeRef::Kind::Width: return width_of(t.width, "type");
    case ast::TypeRef::Kind::Layout: {
      auto id = model_->find_slot(t.layout);
      if (!id || !ir::is_state(model_->slot(*id).kind)) {
        diags_.error(t.loc, "unknown type '" + t.layout + "': a type is a width, 'bool', or a register name" +
                                suggest(t.layout, all_names()));
        return std::nullopt;
      }
      const ir::Slot& s = model_->slot(*id);
      if (fields) *fields = s.fields;
      return s.width;
    }
  }
  return std::nullopt;
}

// Vars, events and flow formals are declared before any expression is typed.
void Analyzer::declare_model() {
  for (const ast::SpecFile& f : files_) {
    for (const ast::VarDecl& v : f.vars) {
      std::string name = v.name.str();
      if (!claim_name(name, v.name.loc, "var")) continue;
      ir::Slot s;
      s.name = name;
      s.kind = ir::SlotKind::Var;
      auto w = type_ref_width(v.type, &s.fields);
      if (!w) continue;
      s.width = *w;
      s.doc = v.doc;
      s.loc = v.name.loc;
      model_->slot_by_name[name] = static_cast<ir::SlotId>(model_->slots.size());
      model_->slots.push_back(std::move(s));
    }
    for (const ast::EventDecl& e : f.events) {
      for (const ast::QName& q : e.names) {
        std::string name = q.str();
        if (!claim_name(name, q.loc, "event")) continue;
        event_ids_[name] = static_cast<ir::EventId>(model_->events.size());
        model_->events.push_back(ir::Event{name, e.doc, q.loc});
      }
    }
    for (const ast::OpDecl& o : f.ops) {
      std::string name = o.name.str();
      if (!claim_name(name, o.name.loc, "op")) continue;
      op_decls_[name] = &o;
    }
  }
  // Var defaults may read the start state, configuration and other vars, so
  // they are typed once every var exists.
  for (const ast::SpecFile& f : files_) {
    for (const ast::VarDecl& v : f.vars) {
      auto id = model_->find_slot(v.name.str());
      if (!v.def || !id || model_->slot(*id).kind != ir::SlotKind::Var || model_->slot(*id).loc.line != v.name.loc.line)
        continue;
      Scope scope;
      scope.in_flow = true;
      ir::Slot& s = model_->slots[*id];
      ir::ExprPtr e = type(*v.def, s.width, scope);
      if (!e) continue;
      if (e->width != s.width) {
        diags_.error(v.def->loc, "width mismatch: the default of '" + s.name + "' is " + std::to_string(e->width) +
                                     " bits but the var is " + std::to_string(s.width));
        continue;
      }
      if (auto c = ir::fold(*e)) s.default_value = c;
      else s.start_default = e;
    }
  }
  // A flow formal is an input shared by every flow that declares it (`init`).
  for (const ast::SpecFile& f : files_) {
    for (const ast::FlowDecl& fl : f.flows) {
      for (const ast::Formal& x : fl.formals) {
        auto w = type_ref_width(x.type, nullptr);
        if (!w) continue;
        if (auto id = model_->find_slot(x.name)) {
          const ir::Slot& s = model_->slot(*id);
          if (s.kind != ir::SlotKind::FlowParam) {
            diags_.error(x.loc, "flow formal '" + x.name + "' has the name of a " + ir::slot_kind_name(s.kind));
          } else if (s.width != *w) {
            diags_.error(x.loc, "flow formal '" + x.name + "' is " + std::to_string(*w) +
                                    " bits here but " + std::to_string(s.width) + " bits in another flow");
          }
          continue;
        }
        ir::Slot s;
        s.name = x.name;
        s.kind = ir::SlotKind::FlowParam;
        s.width = *w;
        s.loc = x.loc;
        model_->slot_by_name[x.name] = static_cast<ir::SlotId>(model_->slots.size());
        model_->slots.push_back(std::move(s));
      }
    }
  }
}

std::optional<ir::EventId> Analyzer::resolve_event(const ast::QName& q) {
  auto it = event_ids_.find(q.str());
  if (it == event_ids_.end()) {
    std::vector<std::string> known;
    for (auto& [n, _] : event_ids_) known.push_back(n);
    diags_.error(q.loc, "unknown event '" + q.str() + "'" + suggest(q.str(), known));
    return std::nullopt;
  }
  used_events_.insert(it->second);
  return it->second;
}

ir::SlotId Analyzer::new_temp(FlowCtx& cx, const std::string& name, unsigned width, std::vector<ir::BitField> fields,
                              Loc loc) {
  unsigned n = cx.temp_names[name]++;
  ir::Slot t;
  t.name = n ? name + "#" + std::to_string(n) : name;
  t.kind = ir::SlotKind::Var;
  t.width = width;
  t.fields = std::move(fields);
  t.loc = loc;
  cx.flow.temps.push_back(std::move(t));
  return static_cast<ir::SlotId>(model_->slots.size() + cx.flow.temps.size() - 1);
}

// A new instruction here, under the current path condition.
ir::Instr& Analyzer::add_instr(FlowCtx& cx, ir::Instr::Kind kind, Loc loc) {
  ir::Instr in;
  in.kind = kind;
  in.guard = cx.guard;
  in.step = cx.step;
  in.loc = loc;
  cx.flow.code.push_back(std::move(in));
  return cx.flow.code.back();
}

// temp := value, all of it: how lets, arguments and if conditions are captured.
void Analyzer::capture(FlowCtx& cx, ir::SlotId temp, ir::ExprPtr value, Loc loc) {
  ir::Instr& in = add_instr(cx, ir::Instr::Kind::Assign, loc);
  in.slot = temp;
  in.hi = value->width - 1;
  in.lo = 0;
  in.value = std::move(value);
}

void Analyzer::inline_assign(FlowCtx& cx, const ast::QName& target, const ast::Expr& value, const Scope& scope) {
  if (scope.locals && scope.locals->count(target.parts[0])) {
    diags_.error(target.loc, "'" + target.parts[0] + "' is a local (let or formal): locals cannot be assigned");
    return;
  }
  lvalue_in_flow_ = !cx.instruction;
  auto lv = resolve_lvalue(target, false);
  lvalue_in_flow_ = false;
  if (!lv) {
    type(value, std::nullopt, scope);
    return;
  }
  unsigned w = lv->hi - lv->lo + 1;
  ir::ExprPtr v = type(value, w, scope);
  if (!v) return;
  if (v->width != w) {
    diags_.error(value.loc, "width mismatch: '" + target.str() + "' is " + std::to_string(w) + " bits but " +
                                describe(value) + " is " + std::to_string(v->width) + " bits");
    return;
  }
  const ir::Slot& s = model_->slot(lv->slot);
  uint64_t bits = ir::range_mask(lv->hi, lv->lo);
  if (bits & s.reserved_mask && lv->hi - lv->lo + 1 < s.width)
    diags_.error(target.loc, "'" + target.str() + "' covers reserved bits of " + s.name);
  ir::Instr& in = add_instr(cx, ir::Instr::Kind::Assign, target.loc);
  in.slot = lv->slot;
  in.hi = lv->hi;
  in.lo = lv->lo;
  in.value = v;
}

void Analyzer::inline_call(FlowCtx& cx, const ast::Stmt& st, std::map<std::string, Local>& locals) {
  Scope scope;
  scope.locals = &locals;
  scope.in_flow = true;
  std::string name = st.target.str();
  auto it = op_decls_.find(name);
  if (it == op_decls_.end()) {
    std::vector<std::string> known;
    for (auto& [n, _] : op_decls_) known.push_back(n);
    diags_.error(st.target.loc, "unknown op '" + name + "'" + suggest(name, known));
    for (const auto& a : st.args) type(*a, std::nullopt, scope);
    return;
  }
  const ast::OpDecl& op = *it->second;
  used_ops_.insert(name);
  if (std::find(cx.stack.begin(), cx.stack.end(), name) != cx.stack.end()) {
    diags_.error(st.target.loc, "op '" + name + "' calls itself (through " + cx.stack.back() +
                                    "): ops are inlined and cannot recurse");
    return;
  }
  if (st.args.size() != op.formals.size()) {
    diags_.error(st.target.loc, "op '" + name + "' takes " + std::to_string(op.formals.size()) + " argument" +
                                    (op.formals.size() == 1 ? "" : "s") + ", not " + std::to_string(st.args.size()));
    return;
  }
  // Arguments are evaluated at the call, into the callee's formals.
  std::map<std::string, Local> inner;
  std::string args_text;
  std::vector<std::pair<ir::SlotId, ir::ExprPtr>> binds;
  bool ok = true;
  for (size_t i = 0; i < op.formals.size(); ++i) {
    const ast::Formal& f = op.formals[i];
    std::vector<ir::BitField> fields;
    auto w = type_ref_width(f.type, &fields);
    ir::ExprPtr v = type(*st.args[i], w ? std::optional<unsigned>(*w) : std::nullopt, scope);
    if (!w || !v) { ok = false; continue; }
    if (v->width != *w) {
      diags_.error(st.args[i]->loc, "argument '" + f.name + "' of " + name + " is " + std::to_string(*w) +
                                        " bits but " + describe(*st.args[i]) + " is " + std::to_string(v->width) +
                                        " bits");
      ok = false;
      continue;
    }
    args_text += (i ? ", " : "") + ir::print_in_flow(*model_, &cx.flow.temps, *v);
    ir::SlotId t = new_temp(cx, name + "." + f.name, *w, fields, f.loc);
    inner[f.name] = Local{t, *w, fields};
    binds.emplace_back(t, v);
  }
  if (!ok) return;
  uint32_t call = static_cast<uint32_t>(cx.flow.calls.size());
  cx.flow.calls.push_back(ir::CallSite{name, args_text, cx.parent, static_cast<unsigned>(cx.stack.size()),
                                       st.target.loc});
  add_instr(cx, ir::Instr::Kind::Enter, st.loc).call = call;
  for (auto& [t, v] : binds) capture(cx, t, v, st.loc);
  cx.stack.push_back(name);
  uint32_t saved_parent = cx.parent;
  cx.parent = call + 1;
  inline_block(cx, op.body, inner, false);
  cx.parent = saved_parent;
  cx.stack.pop_back();
  add_instr(cx, ir::Instr::Kind::Leave, st.loc).call = call;
}

void Analyzer::inline_stmt(FlowCtx& cx, const ast::Stmt& st, std::map<std::string, Local>& locals) {
  Scope scope;
  scope.locals = &locals;
  scope.in_flow = !cx.instruction;
  if (cx.instruction) {
    scope.in_instruction = true;
    scope.prev_name = "old";
  }
  const bool machine_only = st.kind == ast::Stmt::Kind::Any || st.kind == ast::Stmt::Kind::Load;
  if (machine_only && !cx.instruction) {
    diags_.error(st.loc, std::string(st.kind == ast::Stmt::Kind::Any ? "`:= any`" : "`state :=`") +
                             " can only be used in the body of an `instruction` or `signal`");
    return;
  }
  if (cx.instruction && (st.kind == ast::Stmt::Kind::Emit || st.kind == ast::Stmt::Kind::Call)) {
    diags_.error(st.loc, std::string("an instruction's body cannot ") +
                             (st.kind == ast::Stmt::Kind::Emit ? "emit flow events" : "call an op") +
                             ": it is architectural, and ops and events belong to the hypervisor model");
    return;
  }
  switch (st.kind) {
    case ast::Stmt::Kind::Let: {
      if (locals.count(st.local)) {
        diags_.error(st.loc, "local '" + st.local + "' is already defined in this op");
        return;
      }
      ir::ExprPtr v = type(*st.value, std::nullopt, scope);
      if (!v) return;
      // `let old = CR0;` keeps CR0's bitfields: `old.PG`.
      std::vector<ir::BitField> fields;
      if (v->op == ir::Op::Var) fields = ir::flow_slot(*model_, cx.flow, v->slot).fields;
      std::string owner = cx.stack.empty() ? cx.flow.name : cx.stack.back();
      ir::SlotId t = new_temp(cx, owner + "." + st.local, v->width, fields, st.loc);
      locals[st.local] = Local{t, v->width, fields};
      capture(cx, t, v, st.loc);
      return;
    }
    case ast::Stmt::Kind::Assign: inline_assign(cx, st.target, *st.value, scope); return;
    case ast::Stmt::Kind::StructAssign: {
      const ir::Group* group = model_->find_group(st.target.str());
      if (!group) {
        diags_.error(st.target.loc, "'" + st.target.str() + "' is not a segment or descriptor table; `:= { ... }` assigns those");
        return;
      }
      for (const ast::MemberInit& mi : st.members) inline_assign(cx, member_qname(*group, mi), *mi.value, scope);
      return;
    }
    case ast::Stmt::Kind::If: {
      ir::ExprPtr c = type_bool(*st.value, scope, "an if condition");
      if (!c) return;
      std::string owner = cx.stack.empty() ? cx.flow.name : cx.stack.back();
      ir::SlotId t = new_temp(cx, owner + ".if", 1, {}, st.loc);
      capture(cx, t, c, st.loc);
      ir::ExprPtr cv = ir::make_var(t, 1);
      ir::ExprPtr saved = cx.guard;
      std::map<std::string, Local> then_locals = locals, else_locals = locals;
      cx.guard = conj(saved, cv);
      inline_block(cx, st.then_block, then_locals, false);
      cx.guard = conj(saved, ir::make_op(ir::Op::LNot, 1, {cv}));
      inline_block(cx, st.else_block, else_locals, false);
      cx.guard = saved;
      return;
    }
    case ast::Stmt::Kind::Emit: {
      auto ev = resolve_event(st.target);
      if (!ev) return;
      ir::Instr& in = add_instr(cx, ir::Instr::Kind::Emit, st.loc);
      in.event = *ev;
      in.call = cx.parent;  // the op it happens in (+1), 0 at top level
      return;
    }
    case ast::Stmt::Kind::Assume: {
      ir::ExprPtr c = type_bool(*st.value, scope, "an assumption");
      if (!c) return;
      add_instr(cx, ir::Instr::Kind::Assume, st.loc).value = c;
      return;
    }
    case ast::Stmt::Kind::Call: inline_call(cx, st, locals); return;
    case ast::Stmt::Kind::Any: {
      if (locals.count(st.target.parts[0])) {
        diags_.error(st.target.loc, "'" + st.target.parts[0] + "' is a local (let): locals cannot be assigned");
        return;
      }
      auto lv = resolve_lvalue(st.target, true);
      if (!lv) return;
      auto any = [&](ir::SlotId slot, unsigned hi, unsigned lo) {
        ir::Instr& in = add_instr(cx, ir::Instr::Kind::Any, st.target.loc);
        in.slot = slot;
        in.hi = hi;
        in.lo = lo;
      };
      if (lv->group)
        for (ir::SlotId m : lv->group->members) any(m, model_->slot(m).width - 1, 0);
      else
        any(lv->slot, lv->hi, lv->lo);
      return;
    }
    case ast::Stmt::Kind::Load: {
      const ir::StateDef* state = nullptr;
      if (!st.local.empty()) {
        state = model_->find_state(st.local);
        if (!state) {
          std::vector<std::string> known;
          for (const ir::StateDef& x : model_->states) known.push_back(x.name);
          diags_.error(st.loc, "unknown state '" + st.local + "'" + suggest(st.local, known));
          return;
        }
      }
      add_instr(cx, ir::Instr::Kind::Load, st.loc).state = state;
      return;
    }
  }
}

void Analyzer::inline_block(FlowCtx& cx, const ast::Block& block, std::map<std::string, Local>& locals, bool top) {
  for (const ast::StmtPtr& st : block) {
    if (top) {
      // A step: one top-level statement, shown as one row of a step table.
      std::string text;
      switch (st->kind) {
        case ast::Stmt::Kind::Call: text = st->target.str() + "(...)"; break;
        case ast::Stmt::Kind::Assign: case ast::Stmt::Kind::StructAssign: text = st->target.str() + " := ..."; break;
        case ast::Stmt::Kind::If: text = "if ..."; break;
        case ast::Stmt::Kind::Let: text = "let " + st->local; break;
        case ast::Stmt::Kind::Emit: text = "emit " + st->target.str(); break;
        case ast::Stmt::Kind::Assume: text = "assume ..."; break;
        case ast::Stmt::Kind::Any: text = st->target.str() + " := any"; break;
        case ast::Stmt::Kind::Load: text = "state := " + (st->local.empty() ? std::string("any") : st->local); break;
      }
      cx.step = static_cast<uint32_t>(cx.flow.steps.size());
      cx.flow.steps.push_back(ir::FlowStep{text, st->loc});
      size_t first = cx.flow.code.size();
      inline_stmt(cx, *st, locals);
      // The row shows what was typed: a call's arguments, an assignment's value.
      auto shown = [&](const ir::Expr& e) {
        return ir::print_in_flow(*model_, &cx.flow.temps, e, cx.instruction ? "old." : "start.");
      };
      for (size_t i = first; i < cx.flow.code.size(); ++i) {
        const ir::Instr& in = cx.flow.code[i];
        if (st->kind == ast::Stmt::Kind::Call && in.kind == ir::Instr::Kind::Enter) {
          const ir::CallSite& c = cx.flow.calls[in.call];
          text = c.op + "(" + c.args + ")";
        } else if (st->kind == ast::Stmt::Kind::Assign && in.kind == ir::Instr::Kind::Assign) {
          text = st->target.str() + " := " + shown(*in.value);
        } else if (st->kind == ast::Stmt::Kind::If && in.kind == ir::Instr::Kind::Assign) {
          text = "if " + shown(*in.value) + " { ... }";
        } else if (st->kind == ast::Stmt::Kind::Assume && in.kind == ir::Instr::Kind::Assume) {
          text = "assume " + shown(*in.value);
        } else if (st->kind == ast::Stmt::Kind::StructAssign && in.kind == ir::Instr::Kind::Assign) {
          text = st->target.str() + " := { ... }";
        } else if (st->kind == ast::Stmt::Kind::Let && in.kind == ir::Instr::Kind::Assign) {
          text = "let " + st->local + " = " + shown(*in.value);
        } else {
          continue;
        }
        break;
      }
      cx.flow.steps.back().text = text;
      add_instr(cx, ir::Instr::Kind::Step, st->loc).guard = nullptr;
    } else {
      inline_stmt(cx, *st, locals);
    }
  }
}

void Analyzer::analyze_flows() {
  std::set<std::string> flow_names;
  for (const ast::SpecFile& f : files_) {
    for (const ast::FlowDecl& fd : f.flows) {
      std::string name = fd.name.str();
      if (!claim_name(name, fd.name.loc, "flow")) continue;
      auto flow = std::make_unique<ir::Flow>();
      flow->name = name;
      flow->doc = fd.doc;
      flow->cite = join(fd.cites);
      flow->sources = sources_of(fd.cites);
      flow->loc = fd.name.loc;
      if (fd.cites.empty()) diags_.error(fd.name.loc, "flow '" + name + "' has no citation (add cite \"...\")");
      if (fd.scopes.size() != 1 || (fd.scopes[0].value != "vmx" && fd.scopes[0].value != "svm"))
        diags_.error(fd.scopes.empty() ? fd.name.loc : fd.scopes[0].loc,
                     "flow '" + name + "' needs exactly one scope: vmx or svm");
      else
        flow->scope = fd.scopes[0].value;
      if (fd.kernels.size() > 1) diags_.error(fd.kernels[1].loc, "flow '" + name + "' has more than one kernel");
      if (!fd.kernels.empty()) flow->kernel = fd.kernels[0].value;
      for (const ast::Formal& x : fd.formals)
        if (auto id = model_->find_slot(x.name)) {
          flow->formals.push_back(*id);
          used_slots_.insert(*id);
        }
      FlowCtx cx{*flow, nullptr, {}, 0, 0, {}};
      std::map<std::string, Local> locals;
      inline_block(cx, fd.body, locals, true);
      model_->flows.push_back(std::move(flow));
    }
  }
  // An op no flow calls is still checked, once, on its own.
  for (auto& [name, op] : op_decls_) {
    if (used_ops_.count(name)) continue;
    ir::Flow scratch;
    scratch.name = name;
    FlowCtx cx{scratch, nullptr, {name}, 0, 0, {}};
    std::map<std::string, Local> locals;
    for (const ast::Formal& f : op->formals) {
      std::vector<ir::BitField> fields;
      if (auto w = type_ref_width(f.type, &fields))
        locals[f.name] = Local{new_temp(cx, name + "." + f.name, *w, fields, f.loc), *w, fields};
    }
    inline_block(cx, op->body, locals, false);
    diags_.warning(op->name.loc, "op '" + name + "' is never called by a flow");
  }
}

void Analyzer::analyze_instructions() {
  for (const ast::SpecFile& f : files_) {
    for (const ast::InstructionDecl& d : f.instructions) {
      const char* what = d.signal ? "signal" : "instruction";
      std::string id = d.id.str();
      if (!claim_name(id, d.id.loc, what)) continue;
      auto x = std::make_unique<ir::Instruction>();
      x->id = id;
      x->label = d.label.value;
      x->signal = d.signal;
      x->cite = join(d.cites);
      x->sources = sources_of(d.cites);
      x->note = join(d.notes);
      x->loc = d.id.loc;
      if (d.cites.empty()) diags_.error(d.id.loc, std::string(what) + " '" + id + "' has no citation (add cite ...)");
      if (d.label.value.empty()) diags_.error(d.label.loc, std::string(what) + " '" + id + "' needs a label to draw");
      // `on CR0`: the write rules `transition ... on CR0` apply to it.
      for (const ast::QName& q : d.on)
        if (state_register(q, "on")) x->on.push_back(q.str());
      for (const auto& other : model_->instructions)
        if (other->label == x->label)
          diags_.error(d.label.loc, std::string(what) + " '" + id + "' has the label \"" + x->label + "\" of '" +
                                        other->id + "': the diagram would merge them");
      x->program.name = id;
      x->program.scope = "arch";
      x->program.loc = d.id.loc;
      FlowCtx cx{x->program, nullptr, {}, 0, 0, {}, true};
      std::map<std::string, Local> locals;
      inline_block(cx, d.body, locals, true);
      model_->instructions.push_back(std::move(x));
    }
  }
}

void Analyzer::analyze_properties() {
  for (const ast::SpecFile& f : files_) {
    for (const ast::PropertyDecl& pd : f.properties) {
      std::string id = pd.id.str();
      if (!claim_name(id, pd.id.loc, "property")) continue;
      auto p = std::make_unique<ir::Property>();
      p->id = id;
      p->text = pd.text.value;
      p->cite = join(pd.cites);
      p->sources = sources_of(pd.cites);
      p->patch = join(pd.patches);
      p->note = join(pd.notes);
      p->loc = pd.id.loc;
      if (pd.cites.empty()) diags_.error(pd.id.loc, "property '" + id + "' has no citation (add cite \"...\")");
      if (pd.scopes.size() > 1) diags_.error(pd.scopes[1].loc, "property '" + id + "' has more than one scope");
      p->scope = pd.scopes.empty() ? "common" : pd.scopes[0].value;
      if (p->scope != "vmx" && p->scope != "svm" && p->scope != "common")
        diags_.error(pd.scopes[0].loc, "unknown scope '" + p->scope + "' (expected vmx, svm or common)");
      Scope scope;
      scope.in_flow = true;
      scope.prev_name = "start";
      if (pd.whens.size() > 1) diags_.error(pd.whens[1]->loc, "property '" + id + "' has more than one `when`");
      if (!pd.whens.empty()) p->when = type_bool(*pd.whens[0], scope, "a property's `when`");
      switch (pd.form) {
        case ast::PropertyDecl::Form::Always: p->form = ir::Property::Form::Always; break;
        case ast::PropertyDecl::Form::AtEvent: p->form = ir::Property::Form::AtEvent; break;
        case ast::PropertyDecl::Form::Finally: p->form = ir::Property::Form::Finally; break;
        case ast::PropertyDecl::Form::FinallyIn: p->form = ir::Property::Form::FinallyIn; break;
        case ast::PropertyDecl::Form::Order: p->form = ir::Property::Form::Order; break;
      }
      if (pd.body) p->body = type_bool(*pd.body, scope, "a property");
      if (pd.form == ast::PropertyDecl::Form::AtEvent || pd.form == ast::PropertyDecl::Form::Order) {
        if (auto e = resolve_event(pd.event)) p->event = *e;
      }
      if (pd.form == ast::PropertyDecl::Form::Order) {
        if (auto e = resolve_event(pd.before_event)) p->before_event = *e;
      }
      if (pd.form == ast::PropertyDecl::Form::FinallyIn) {
        p->state = model_->find_state(pd.state_name);
        if (!p->state) {
          std::vector<std::string> known;
          for (const ir::StateDef& s : model_->states) known.push_back(s.name);
          diags_.error(pd.state_loc, "unknown state '" + pd.state_name + "'" + suggest(pd.state_name, known));
        }
        for (const ast::QName& q : pd.except) {
          auto lv = resolve_lvalue(q, true);
          if (!lv) continue;
          if (!lv->group) {
            p->except.emplace_back(lv->slot, ir::range_mask(lv->hi, lv->lo));
            continue;
          }
          for (ir::SlotId m : lv->group->members) p->except.emplace_back(m, ir::mask_of(model_->slot(m).width));
        }
      }
      model_->properties.push_back(std::move(p));
    }
  }
}

void Analyzer::warn_unused_model() {
  for (ir::EventId e = 0; e < model_->events.size(); ++e)
    if (!used_events_.count(e))
      diags_.warning(model_->events[e].loc, "event '" + model_->events[e].name + "' is never emitted or tested");
}

}  // namespace vcpuspec::sema
