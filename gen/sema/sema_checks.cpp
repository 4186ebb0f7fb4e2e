// Defs and checks: typing, ids, citations, scopes; the driver of the analyzer.
#include <algorithm>

#include "sema/sema.hpp"
#include "sema/sema_impl.hpp"

namespace vcpuspec::sema {

namespace {
const std::vector<std::string> kScopes = {"arch", "vmx", "svm"};
}

const ir::Def* Analyzer::resolve_def(const std::string& name, Loc loc) {
  if (auto it = defs_.find(name); it != defs_.end()) {
    used_defs_.insert(name);
    return it->second;
  }
  auto it = def_decls_.find(name);
  if (it == def_decls_.end()) {
    std::vector<std::string> names = {"sext", "zext"};
    for (auto& [n, _] : def_decls_) names.push_back(n);
    diags_.error(loc, "unknown function '" + name + "'" + suggest(name, names));
    return nullptr;
  }
  if (failed_defs_.count(name)) return nullptr;  // already reported
  if (defs_in_progress_.count(name)) {
    diags_.error(loc, "def '" + name + "' calls itself (directly or through other defs); defs cannot recurse");
    return nullptr;
  }
  const ast::DefDecl& d = *it->second;
  defs_in_progress_.insert(name);
  auto def = std::make_unique<ir::Def>();
  def->name = d.name;
  def->doc = d.doc;
  def->loc = d.loc;
  Scope scope;
  scope.def_params = &d.params;
  bool ok = true;
  std::set<std::string> seen;
  for (const ast::DefParam& p : d.params) {
    if (!seen.insert(p.name).second) {
      diags_.error(p.loc, "duplicate parameter '" + p.name + "' of def '" + d.name + "'");
      ok = false;
    }
    std::vector<ir::BitField> fields;
    std::optional<unsigned> w;
    if (p.type.empty()) {
      w = width_of(p.width, "parameter");
    } else {
      ast::TypeRef t;
      t.kind = ast::TypeRef::Kind::Layout;
      t.layout = p.type;
      t.loc = p.type_loc;
      w = type_ref_width(t, &fields);
    }
    if (!w) ok = false;
    def->params.push_back(ir::DefParam{p.name, w.value_or(64)});
    scope.def_param_widths.push_back(w.value_or(64));
    scope.def_param_fields.push_back(std::move(fields));
  }
  ir::ExprPtr body = ok ? type(*d.body, std::nullopt, scope) : nullptr;
  defs_in_progress_.erase(name);
  if (!body) {
    failed_defs_.insert(name);
    return nullptr;
  }
  def->body = body;
  def->width = body->width;
  ir::Def* raw = def.get();
  model_->defs.push_back(std::move(def));
  defs_[name] = raw;
  used_defs_.insert(name);
  return raw;
}

void Analyzer::analyze_defs() {
  for (const ast::SpecFile& f : files_) {
    for (const ast::DefDecl& d : f.defs) {
      if (d.name == "sext" || d.name == "zext" || d.name == "declared" || d.name == "legal" || d.name == "after") {
        diags_.error(d.loc, "'" + d.name + "' is a built-in function and cannot be redefined");
        continue;
      }
      // A def over segment registers is expanded where it is called
      // (`f(DS)`), once its segments are known; it takes nothing else.
      if (takes_segment(d)) {
        for (const ast::DefParam& p : d.params)
          if (p.type.empty() || !names_struct(p.type))
            diags_.error(p.loc, "def '" + d.name + "' takes a segment register, so every parameter must be one: '" +
                                    p.name + "' is not (move it to a def of its own)");
        continue;
      }
      if (def_decls_.count(d.name) && def_decls_[d.name] == &d && !defs_.count(d.name)) {
        bool was_used = used_defs_.count(d.name) > 0;
        resolve_def(d.name, d.loc);
        if (!was_used) used_defs_.erase(d.name);  // declaring is not using
      }
    }
  }
}

// What checks, nonchecks, write rules and modes share: a unique id, a
// description, citations, and one scope (none for a mode: `scope` is null).
bool Analyzer::check_header(const ast::CheckDecl& c, const char* what, std::map<std::string, Loc>& ids,
                            std::string& cite, std::vector<Citation>& sources, std::string* scope) {
  std::string id = c.id.str();
  bool ok = true;
  if (auto [it, fresh] = ids.emplace(id, c.id.loc); !fresh) {
    diags_.error(c.id.loc, "duplicate check id '" + id + "' (first declared at line " +
                               std::to_string(it->second.line) + ")");
    ok = false;
  }
  if (c.text.value.empty()) {
    diags_.error(c.text.loc.valid() ? c.text.loc : c.id.loc, std::string(what) + " '" + id + "' has an empty description");
    ok = false;
  }
  for (const ast::Text& t : c.cites) {
    if (t.value.find_first_not_of(" \t") == std::string::npos) {
      diags_.error(t.loc, std::string("empty citation in ") + what + " '" + id + "'");
      ok = false;
    }
    cite += (cite.empty() ? "" : "; ") + t.value;
    if (t.source) sources.push_back(*t.source);
  }
  if (c.cites.empty()) {
    diags_.error(c.id.loc, std::string(what) + " '" + id +
                               "' has no citation: add one, e.g. `cite sdm \"27.3.1.2\" vol 3` or `cite linux \"arch/x86/kvm/x86.c\" fn kvm_set_cr0 at \"v7.1.3\"`");
    ok = false;
  }
  if (!c.questions.empty() && std::string(what) != "check") {
    diags_.error(c.questions[0].loc, std::string(what) + " '" + id + "' cannot have `question`: only a check's failure answers one");
    ok = false;
  }
  if (!scope) {
    if (!c.scopes.empty()) {
      diags_.error(c.scopes[0].loc, std::string(what) + " '" + id + "' cannot have `scope`: modes are architectural");
      ok = false;
    }
  } else if (c.scopes.empty()) {
    diags_.error(c.id.loc, std::string(what) + " '" + id + "' has no scope: add `scope arch`, `scope vmx` or `scope svm`");
    ok = false;
  } else {
    if (c.scopes.size() > 1) {
      diags_.error(c.scopes[1].loc, std::string(what) + " '" + id + "' has more than one scope");
      ok = false;
    }
    *scope = c.scopes[0].value;
    if (std::find(kScopes.begin(), kScopes.end(), *scope) == kScopes.end()) {
      diags_.error(c.scopes[0].loc, "unknown scope '" + *scope + "' (expected arch, vmx or svm)" +
                                        suggest(*scope, kScopes));
      ok = false;
    }
  }
  return ok;
}

std::optional<std::vector<ir::SlotId>> Analyzer::state_register(const ast::QName& q, const char* clause) {
  const std::string name = q.str();
  if (const ir::Group* g = model_->find_group(name)) return g->members;
  if (auto id = model_->find_slot(name); id && ir::is_state(model_->slot(*id).kind))
    return std::vector<ir::SlotId>{*id};
  std::vector<std::string> known;
  for (const ir::Slot& s : model_->slots)
    if (ir::is_state(s.kind) && s.group.empty()) known.push_back(s.name);
  for (const ir::Group& g : model_->groups) known.push_back(g.name);
  diags_.error(q.loc, "`" + std::string(clause) + " " + name + "`: not a register, MSR, segment or descriptor table" +
                          suggest(name, known));
  return std::nullopt;
}

// `loads EFER else e`: e reads the state and configuration, like a check.
void Analyzer::analyze_control_values() {
  for (auto& [id, decl] : pending_loads_else_) {
    ir::Slot& s = model_->slots[id];
    const unsigned w = model_->slot(s.loads.at(0)).width;
    Scope scope;
    scope.in_check = true;
    ir::ExprPtr e = type(*decl->loads_else, w, scope);
    if (!e) continue;
    if (e->width != w) {
      diags_.error(decl->loads_else->loc, "width mismatch: '" + model_->slot(s.loads[0]).name + "' is " +
                                              std::to_string(w) + " bits but " + describe(*decl->loads_else) + " is " +
                                              std::to_string(e->width) + " bits");
      continue;
    }
    s.loads_else = e;
  }
}

void Analyzer::analyze_checks() {
  std::map<std::string, Loc> ids;
  std::vector<std::pair<size_t, const ast::CheckDecl*>> with_overlaps;
  for (const ast::SpecFile& f : files_) {
    for (const ast::CheckDecl& c : f.checks) {
      ir::Check out;
      out.id = c.id.str();
      out.loc = c.id.loc;
      out.text = c.text.value;
      bool ok = check_header(c, "check", ids, out.cite, out.sources, &out.scope);
      // The entry checks are the vmx and svm ones, unless a check says otherwise
      // (a rule about the VMM's own state in VMX operation is architectural).
      out.question = out.scope == "arch" ? "architecture" : "entry";
      if (c.questions.size() > 1) diags_.error(c.questions[1].loc, "check '" + out.id + "' has more than one `question`"), ok = false;
      if (!c.questions.empty()) {
        out.question = c.questions[0].value;
        if (out.question != "entry" && out.question != "architecture") {
          diags_.error(c.questions[0].loc, "unknown question '" + out.question +
                                               "' (expected entry: the VM entry or VMRUN would fail, or architecture: no CPU is in this state by itself)");
          ok = false;
        } else if (out.question == "entry" && out.scope == "arch") {
          diags_.error(c.questions[0].loc, "check '" + out.id + "' is scope arch: it applies to states with no VM entry, so it cannot answer `question entry`");
          ok = false;
        }
      }
      for (const ast::Text& n : c.notes) out.note += (out.note.empty() ? "" : " ") + n.value;
      Scope scope;
      scope.in_check = true;
      if (c.whens.size() > 1) {
        diags_.error(c.whens[1]->loc, "check '" + out.id + "' has more than one `when`; combine them with &&");
        ok = false;
      }
      if (!c.whens.empty()) {
        out.when = type_bool(*c.whens[0], scope, "`when` condition");
        if (!out.when) ok = false;
      }
      out.assertion = type_bool(*c.assertion, scope, "`assert` predicate");
      if (!out.assertion) ok = false;
      if (!ok) continue;
      if (out.when) ir::collect_reads(*out.when, out.reads);
      ir::collect_reads(*out.assertion, out.reads);
      if (!c.overlaps.empty()) with_overlaps.emplace_back(model_->checks.size(), &c);
      model_->checks.push_back(std::move(out));
    }
  }
  for (const ast::SpecFile& f : files_) {
    for (const ast::CheckDecl& c : f.nonchecks) {
      ir::NonCheck out{c.id.str(), c.text.value, "", "", "", c.id.loc};
      bool ok = check_header(c, "noncheck", ids, out.cite, out.sources, &out.scope);
      if (!c.whens.empty()) {
        diags_.error(c.whens[0]->loc, "noncheck '" + out.id + "' cannot have `when`: it is never evaluated");
        ok = false;
      }
      if (!c.overlaps.empty()) {
        diags_.error(c.overlaps[0].loc, "noncheck '" + out.id + "' cannot have `overlaps`: it is never evaluated");
        ok = false;
      }
      for (const ast::Text& n : c.notes) out.note += (out.note.empty() ? "" : " ") + n.value;
      if (ok) model_->nonchecks.push_back(std::move(out));
    }
  }
  for (const ast::SpecFile& f : files_)
    for (const ast::CheckDecl& c : f.transitions) analyze_transition(c, ids);
  for (const ast::SpecFile& f : files_)
    for (const ast::CheckDecl& c : f.modes) analyze_mode(c, ids);
  for (auto& [index, decl] : with_overlaps) {
    ir::Check& chk = model_->checks[index];
    for (const ast::QName& q : decl->overlaps) {
      std::string id = q.str();
      if (!ids.count(id)) {
        std::vector<std::string> known;
        for (auto& [k, _] : ids) known.push_back(k);
        diags_.error(q.loc, "unknown check '" + id + "' in `overlaps`" + suggest(id, known));
        continue;
      }
      if (id == chk.id) {
        diags_.error(q.loc, "check '" + id + "' cannot overlap itself");
        continue;
      }
      chk.overlaps.push_back(id);
    }
  }
}

// A write rule: the header of a check, `old.` for the state before the write,
// and the registers whose write it governs.
void Analyzer::analyze_transition(const ast::CheckDecl& c, std::map<std::string, Loc>& ids) {
  ir::Transition out;
  out.id = c.id.str();
  out.loc = c.id.loc;
  out.text = c.text.value;
  bool ok = check_header(c, "transition", ids, out.cite, out.sources, &out.scope);
  for (const ast::Text& n : c.notes) out.note += (out.note.empty() ? "" : " ") + n.value;
  // `overlaps` on a transition: state checks that already imply it (lint verifies).
  for (const ast::QName& q : c.overlaps) {
    std::string id = q.str();
    if (!model_->find_check(id)) {
      std::vector<std::string> known;
      for (const ir::Check& k : model_->checks) known.push_back(k.id);
      diags_.error(q.loc, "unknown check '" + id + "' in `overlaps` (a transition overlaps state checks)" +
                              suggest(id, known));
      ok = false;
      continue;
    }
    out.overlaps.push_back(id);
  }
  for (const ast::QName& q : c.on) {
    auto slots = state_register(q, "on");
    if (!slots) {
      ok = false;
      continue;
    }
    out.on.insert(out.on.end(), slots->begin(), slots->end());
    out.on_names.push_back(q.str());
  }
  std::sort(out.on.begin(), out.on.end());
  out.on.erase(std::unique(out.on.begin(), out.on.end()), out.on.end());
  Scope scope;
  scope.in_check = true;
  scope.prev_name = "old";
  if (c.whens.size() > 1) {
    diags_.error(c.whens[1]->loc, "transition '" + out.id + "' has more than one `when`; combine them with &&");
    ok = false;
  }
  if (!c.whens.empty()) {
    out.when = type_bool(*c.whens[0], scope, "`when` condition");
    if (!out.when) ok = false;
  }
  out.assertion = type_bool(*c.assertion, scope, "`assert` predicate");
  if (!out.assertion) ok = false;
  if (!ok) return;
  if (!ir::reads_frame(*out.assertion, ir::Frame::Prev) && !(out.when && ir::reads_frame(*out.when, ir::Frame::Prev)))
    diags_.warning(c.assert_loc, "transition '" + out.id +
                                     "' never reads `old.`: it is a rule about one state; declare it as a check");
  if (out.when) ir::collect_reads(*out.when, out.reads);
  ir::collect_reads(*out.assertion, out.reads);
  model_->transitions.push_back(std::move(out));
}

void Analyzer::analyze_mode(const ast::CheckDecl& c, std::map<std::string, Loc>& ids) {
  ir::Mode out;
  out.id = c.id.str();
  out.loc = c.id.loc;
  out.text = c.text.value;
  // A mode is one predicate over one state: no scope, condition or overlaps.
  bool ok = check_header(c, "mode", ids, out.cite, out.sources, nullptr);
  if (!c.whens.empty()) diags_.error(c.whens[0]->loc, "mode '" + out.id + "' cannot have `when`: put the condition in its predicate"), ok = false;
  if (!c.overlaps.empty()) diags_.error(c.overlaps[0].loc, "mode '" + out.id + "' cannot have `overlaps`"), ok = false;
  for (const ast::Text& n : c.notes) out.note += (out.note.empty() ? "" : " ") + n.value;
  Scope scope;
  scope.in_check = true;
  out.pred = type_bool(*c.assertion, scope, "mode predicate");
  if (!out.pred) ok = false;
  if (ok) model_->modes.push_back(std::move(out));
}

void Analyzer::warn_unused() {
  for (auto& [name, decl] : def_decls_)
    if (!used_defs_.count(name) && !failed_defs_.count(name)) diags_.warning(decl->loc, "def '" + name + "' is never used");
  for (ir::SlotId id = 0; id < model_->slots.size(); ++id) {
    const ir::Slot& s = model_->slot(id);
    // A control that `loads` guest fields is used by every check of those fields.
    if (ir::is_flow_state(s.kind) || used_slots_.count(id) || !s.loads.empty()) continue;
    // A word's implicit other bits are used once the word is.
    if (s.kind == ir::SlotKind::Control && s.name.size() > 11 && s.name.ends_with(".other_bits")) continue;
    diags_.warning(s.loc, std::string(ir::slot_kind_name(s.kind)) + " '" + s.name +
                              "' is never used by a check, state, def, op or property");
  }
}

std::unique_ptr<ir::Model> Analyzer::run() {
  declare_all();
  analyze_defs();
  analyze_control_values();
  analyze_checks();
  analyze_states();
  analyze_flows();
  analyze_instructions();
  analyze_properties();
  warn_unused();
  warn_unused_model();
  if (diags_.has_errors()) return nullptr;
  return std::move(model_);
}

std::unique_ptr<ir::Model> analyze(const std::vector<ast::SpecFile>& files, Diagnostics& diags) {
  Analyzer a(files, diags);
  return a.run();
}

}  // namespace vcpuspec::sema
