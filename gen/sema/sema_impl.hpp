// Internal to gen/sema: the analyzer's state, shared by its .cpp files.
#pragma once
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ast/ast.hpp"
#include "ir/flow.hpp"
#include "ir/ir.hpp"
#include "support/diagnostics.hpp"

namespace vcpuspec::sema {

// A `let` or op formal inside a flow: a temporary, maybe with a bitfield layout.
struct Local {
  ir::SlotId id;
  unsigned width;
  std::vector<ir::BitField> fields;
};

// What a name may refer to where an expression is typed.
struct Scope {
  const std::map<std::string, Local>* locals = nullptr;  // inside an op or flow
  bool in_flow = false;  // ops, flows, properties: hypervisor variables are visible
  const std::vector<ast::DefParam>* def_params = nullptr;  // inside a def body
  std::vector<unsigned> def_param_widths;
  std::vector<std::vector<ir::BitField>> def_param_fields;  // `v : CR0`: CR0's fields
  std::optional<std::string> prev_name;  // inside INIT(prev)
  bool in_check = false;
  bool in_instruction = false;  // an instruction's body: legal() and after(STATE) exist
};

// A resolved assignment target: bits hi:lo of one slot.
struct LValue {
  ir::SlotId slot;
  unsigned hi, lo;
  std::string text;
  const ir::Group* group = nullptr;  // a whole segment or descriptor table (allow_group)
};

// `CS = { sel ... }`: the member `sel` named in full, `CS.sel`, at the member.
ast::QName member_qname(const ir::Group& g, const ast::MemberInit& mi);

class Analyzer {
 public:
  Analyzer(const std::vector<ast::SpecFile>& files, Diagnostics& diags);
  std::unique_ptr<ir::Model> run();

 private:
  // declarations (sema_decls.cpp)
  void declare_all();
  void declare_register(const ast::RegisterDecl& r);
  void declare_group(const ast::GroupDecl& g, const std::map<std::string, const ast::StructDecl*>& structs);
  void declare_param(const ast::ParamDecl& p);
  void declare_feature(const ast::FeatureDecl& f);
  void declare_control(const ast::ControlDecl& c);
  void declare_control_word(const ast::ControlWordDecl& w);
  bool claim_name(const std::string& name, Loc loc, const char* what);
  std::optional<unsigned> width_of(const ast::Int& w, const char* what);
  void layout_fields(ir::Slot& slot, const std::vector<ast::FieldItem>& items);
  std::optional<uint64_t> default_of(const ast::ExprPtr& def, unsigned width, const std::string& name);

  // expressions (sema_expr.cpp)
 public:
  ir::ExprPtr type(const ast::Expr& e, std::optional<unsigned> hint, const Scope& scope);
 private:
  ir::ExprPtr type_bool(const ast::Expr& e, const Scope& scope, const char* what);
  ir::ExprPtr type_name(const ast::Expr& e, const Scope& scope);
  ir::ExprPtr type_call(const ast::Expr& e, std::optional<unsigned> hint, const Scope& scope);
  ir::ExprPtr type_segment_call(const ast::Expr& e, const ast::DefDecl& d, std::optional<unsigned> hint,
                                const Scope& scope);
  bool names_struct(const std::string& type) const;
  bool takes_segment(const ast::DefDecl& d) const;
  ir::ExprPtr type_binary(const ast::Expr& e, std::optional<unsigned> hint, const Scope& scope);
  ir::ExprPtr type_literal(const ast::Int& lit, Loc loc, std::optional<unsigned> hint);
  bool needs_hint(const ast::Expr& e) const;
  std::pair<ir::ExprPtr, ir::ExprPtr> type_pair(const ast::Expr& a, const ast::Expr& b, const Scope& scope,
                                                std::optional<unsigned> hint = std::nullopt);
  bool same_width(const ir::ExprPtr& a, const ir::ExprPtr& b, const ast::Expr& ea, const ast::Expr& eb, Loc at);
  const ir::Def* resolve_def(const std::string& name, Loc loc);
  std::string describe(const ast::Expr& e) const;
  std::string suggest(const std::string& name, const std::vector<std::string>& candidates) const;
  std::vector<std::string> all_names() const;

  // the hypervisor model (sema_flows.cpp)
  struct FlowCtx;
  void declare_model();
  std::optional<unsigned> type_ref_width(const ast::TypeRef& t, std::vector<ir::BitField>* fields);
  void analyze_flows();
  void analyze_properties();
  void analyze_instructions();
  void inline_block(FlowCtx& cx, const ast::Block& block, std::map<std::string, Local>& locals, bool top);
  void inline_stmt(FlowCtx& cx, const ast::Stmt& st, std::map<std::string, Local>& locals);
  void inline_call(FlowCtx& cx, const ast::Stmt& st, std::map<std::string, Local>& locals);
  void inline_assign(FlowCtx& cx, const ast::QName& target, const ast::Expr& value, const Scope& scope);
  ir::Instr& add_instr(FlowCtx& cx, ir::Instr::Kind kind, Loc loc);
  void capture(FlowCtx& cx, ir::SlotId temp, ir::ExprPtr value, Loc loc);
  ir::SlotId new_temp(FlowCtx& cx, const std::string& name, unsigned width, std::vector<ir::BitField> fields, Loc loc);
  std::optional<ir::EventId> resolve_event(const ast::QName& q);
  void warn_unused_model();

  // checks and states (sema_checks.cpp, sema_states.cpp)
  void analyze_defs();
  void analyze_control_values();
  void analyze_checks();
  void analyze_transition(const ast::CheckDecl& c, std::map<std::string, Loc>& ids);
  void analyze_mode(const ast::CheckDecl& c, std::map<std::string, Loc>& ids);
  bool check_header(const ast::CheckDecl& c, const char* what, std::map<std::string, Loc>& ids, std::string& cite,
                    std::vector<Citation>& sources, std::string* scope);
  void analyze_states();
  void analyze_state(const ast::StateDecl& s, std::set<std::string>& visiting);
  void analyze_for_state(const ast::StateDecl& s, ir::StateDef& st, std::set<std::string>& visiting);
  void check_differs(const ast::StateDecl& s, const ast::StateItem& item);
  std::optional<LValue> resolve_lvalue(const ast::QName& q, bool allow_group);
  // `on CR0`, `loads DR7`: a whole register, MSR, segment or descriptor table
  // of the state, as the slots it covers; nullopt (reported) otherwise.
  std::optional<std::vector<ir::SlotId>> state_register(const ast::QName& q, const char* clause);
  void warn_unused();

  const std::vector<ast::SpecFile>& files_;
  Diagnostics& diags_;
  std::unique_ptr<ir::Model> model_;

  std::map<std::string, Loc> names_;  // every declared name, for duplicates
  std::map<std::string, size_t> word_index_;  // control words by key (name, or `@offset`)
  std::map<std::string, const ir::Def*> word_defs_;  // `entry` in expressions: the word as a def
  std::map<std::string, const ast::DefDecl*> def_decls_;
  // `f(DS)` of `def f(s : Segment)`: f's body with DS in place of s, kept
  // while the model's locations may point into it.
  std::deque<ast::ExprPtr> expanded_bodies_;
  std::map<std::string, ir::Def*> defs_;
  std::set<std::string> defs_in_progress_;
  std::set<std::string> failed_defs_;
  std::set<std::string> used_defs_;
  std::set<ir::SlotId> used_slots_;
  std::map<std::string, const ast::StateDecl*> state_decls_;
  std::map<std::string, size_t> state_index_;  // name -> index in model_->states
  std::set<std::string> cyclic_states_;
  std::map<std::string, const ast::OpDecl*> op_decls_;
  std::map<std::string, ir::EventId> event_ids_;
  std::set<std::string> used_ops_;
  std::set<ir::EventId> used_events_;
  bool lvalue_in_flow_ = false;  // resolve_lvalue: flows may write hypervisor variables
  // `loads F else e`, typed once every name is declared (analyze_control_values).
  std::vector<std::pair<ir::SlotId, const ast::ControlDecl*>> pending_loads_else_;
};

// Texts joined with "; " (citations, patches, notes), and the citations among
// them that a reader can open (sema_flows.cpp).
std::string join(const std::vector<ast::Text>& texts);
std::vector<Citation> sources_of(const std::vector<ast::Text>& cites);


}  // namespace vcpuspec::sema
