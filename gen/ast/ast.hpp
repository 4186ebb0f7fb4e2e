// The syntax tree: what the parser saw, before any name or width is checked.
// Plain data; gen/sema turns it into the resolved model (gen/ir).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/citation.hpp"
#include "support/source.hpp"

namespace vcpuspec::ast {

// A dotted name: `CR0.PG`, `cpu.maxphyaddr`, `ARCH.CR0.HI`.
struct QName {
  std::vector<std::string> parts;
  std::vector<Loc> part_locs;
  Loc loc;
  std::string str() const;
};

// An integer as written. `overflow` is set when it does not fit in 64 bits.
struct Int {
  uint64_t value = 0;
  bool overflow = false;
  std::string text;
  Loc loc;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind { Int, Bool, Name, Call, Slice, Unary, Binary, In, Cond };
  Kind kind;
  Loc loc;
  Int literal;            // Int; Bool uses literal.value 0/1
  QName name;             // Name
  std::string callee;     // Call
  std::string op;         // Unary, Binary: the operator as written
  Loc op_loc;             // where the operator is
  Int hi, lo;             // Slice: e[hi] (has_lo false) or e[hi:lo]
  bool has_lo = false;
  std::vector<ExprPtr> args;  // operands; In: subject then set members; Cond: c, a, b
};

struct BitRange {
  Int hi, lo;  // lo == hi when written as a single bit
  Loc loc;
};

struct FieldItem {
  enum class Kind { Named, Alias, Reserved, Fixed1 };
  Kind kind = Kind::Named;
  std::string name;  // Named, Alias
  Loc loc;
  std::vector<BitRange> ranges;  // exactly one for Named/Alias
  std::string doc;
};

struct RegisterDecl {
  bool is_msr = false;
  QName name;
  std::optional<Int> msr_index;
  Int width;
  std::string doc;
  std::vector<FieldItem> fields;
};

struct MemberDecl {
  std::string name;
  Loc loc;
  Int width;
  std::string doc;
  std::vector<FieldItem> fields;
};

struct StructDecl {
  std::string name;
  Loc loc;
  std::string doc;
  std::vector<MemberDecl> members;
};

// `segment CS, SS : Segment;` or `dtable GDTR, IDTR : DescriptorTable;`
struct GroupDecl {
  enum class Kind { Segment, Dtable };
  Kind kind = Kind::Segment;
  std::vector<QName> names;
  std::string struct_name;
  Loc struct_loc;
  std::string doc;
};

struct ParamDecl {
  QName name;
  bool ranged = false;
  Int width;       // when !ranged
  Int lo, hi;      // when ranged
  ExprPtr def;     // default value, may be null
  std::string doc;
};

struct FeatureDecl {
  QName name;
  ExprPtr def;
  std::string doc;
};

struct ControlDecl {
  QName name;
  std::optional<Int> width;
  ExprPtr def;
  std::string doc;
  // A bit of a control word: the word's key (ControlWordDecl::key) and the bit.
  std::string word;
  std::optional<Int> bit;
  std::vector<QName> loads;  // `loads DR7, DEBUGCTL`: the guest fields the bit loads
  ExprPtr loads_else;        // `loads EFER else e`: the guest's value where the bit is 0
  std::optional<QName> activates;  // `activates secondary`: the word that counts as 0 where the bit is 0
};

// `control entry : 32 "VM-entry controls" { load_efer 15 "..."; }`; its bits
// are ControlDecls of their own.
struct ControlWordDecl {
  QName name;                 // empty for an unnamed VMCB word
  Int width;
  std::optional<Int> offset;  // `at 0x090`: its VMCB offset
  std::string doc;
  Loc loc;
  std::string key() const { return name.parts.empty() ? "@" + (offset ? offset->text : std::string("?")) : name.str(); }
};

// `x : 64` (a value), `v : CR0` (a value with CR0's width and fields) or
// `s : Segment` (a segment register named at the call: `f(DS)`).
struct DefParam {
  std::string name;
  Loc loc;
  Int width;              // when `type` is empty
  std::string type;       // a register or struct name
  Loc type_loc;
};

struct DefDecl {
  std::string name;
  Loc loc;
  std::vector<DefParam> params;
  std::string doc;
  ExprPtr body;
};

struct Text {
  std::string value;
  Loc loc;
  std::optional<Citation> source = std::nullopt;  // a `cite KIND ...`: value is its rendered text
};

struct CheckDecl {
  QName id;
  Loc loc;  // of the `check` keyword
  Text text;
  std::vector<Text> cites;
  std::vector<Text> scopes;  // more than one is an error
  std::vector<ExprPtr> whens;  // more than one is an error
  std::vector<QName> overlaps;
  std::vector<Text> notes;
  std::vector<Text> questions;  // `question entry|architecture`: checks only
  ExprPtr assertion;
  Loc assert_loc;
  std::vector<QName> on;  // `transition` only: the registers whose write it governs
};

struct MemberInit {
  QName member;  // relative to the struct: `sel`, `ar`, `ar.type`
  ExprPtr value;
};

// `differs harmless "why"`: how a VMM's state departs from the state it is for.
struct Differs {
  Text kind;
  std::string why;
};

struct StateItem {
  enum class Kind { Like, Keep, Unspecified, Assign, StructAssign };
  Kind kind = Kind::Assign;
  Loc loc;
  std::string like_name;            // Like
  std::vector<QName> targets;       // Keep, Unspecified: several; Assign, StructAssign: one
  ExprPtr value;                    // Assign
  std::vector<MemberInit> members;  // StructAssign
  std::optional<Differs> differs;
  std::vector<Text> cites;
};

struct StateDecl {
  std::string name;
  Loc loc;
  std::optional<std::string> prev_name;  // `state INIT(prev)`
  Loc prev_loc;
  std::optional<Text> for_state;         // `state qemu.RESET for RESET`
  std::string doc;
  std::vector<Text> cites;
  std::vector<StateItem> items;
};

// ---- the hypervisor model ----------------------------------------------------

// A type in `var`, op and flow formals: a width, `bool`, or a register whose
// bitfield layout is reused (`v : CR0` gives `v.PG`).
struct TypeRef {
  enum class Kind { Width, Bool, Layout };
  Kind kind = Kind::Width;
  Int width;
  std::string layout;
  Loc loc;
};

struct VarDecl {
  QName name;
  TypeRef type;
  ExprPtr def;
  std::string doc;
};

struct EventDecl {
  std::vector<QName> names;
  std::string doc;
};

struct Formal {
  std::string name;
  Loc loc;
  TypeRef type;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Block = std::vector<StmtPtr>;

struct Stmt {
  // Any: `X := any`; Load: `state := INIT` (`state := any`: `local` empty).
  enum class Kind { Let, Assign, StructAssign, If, Emit, Assume, Call, Any, Load };
  Kind kind = Kind::Assign;
  Loc loc;
  std::string local;                // Let; Load: the state's name
  QName target;                     // Assign, StructAssign, Emit (event), Call (op), Any
  ExprPtr value;                    // Let, Assign, Assume; If: the condition
  std::vector<MemberInit> members;  // StructAssign
  std::vector<ExprPtr> args;        // Call
  Block then_block, else_block;     // If (an `else if` is an If inside else_block)
};

struct OpDecl {
  QName name;
  std::vector<Formal> formals;
  std::string doc;
  std::vector<Text> cites;
  Block body;
};

struct FlowDecl {
  QName name;
  std::vector<Formal> formals;
  std::string doc;
  std::vector<Text> cites;
  std::vector<Text> scopes;
  std::vector<Text> kernels;
  Block body;
};

// `instruction MOV_CR0 "MOV CR0" on CR0 cite ... { ... }` (or `signal`): one
// write of the mode machine.
struct InstructionDecl {
  QName id;
  Loc loc;  // of the keyword
  bool signal = false;
  Text label;
  std::vector<Text> cites, notes;
  std::vector<QName> on;
  Block body;
};

struct PropertyDecl {
  enum class Form { Always, AtEvent, Finally, FinallyIn, Order };
  QName id;
  Loc loc;
  Text text;
  std::vector<Text> cites, patches, scopes, notes;
  std::vector<ExprPtr> whens;
  Form form = Form::Finally;
  Loc form_loc;
  ExprPtr body;                 // Always, AtEvent, Finally
  QName event, before_event;    // AtEvent: event; Order: event before before_event
  std::string state_name;       // FinallyIn
  Loc state_loc;
  std::vector<QName> except;    // FinallyIn
};

// One parsed file. Declarations keep their file order within each kind.
struct SpecFile {
  uint32_t file_id = 0;
  std::vector<RegisterDecl> registers;
  std::vector<StructDecl> structs;
  std::vector<GroupDecl> groups;
  std::vector<ParamDecl> params;
  std::vector<FeatureDecl> features;
  std::vector<ControlDecl> controls;
  std::vector<ControlWordDecl> control_words;
  std::vector<DefDecl> defs;
  std::vector<CheckDecl> checks;
  std::vector<CheckDecl> nonchecks;  // `noncheck`: no assertion
  std::vector<CheckDecl> transitions;  // `transition`: an assertion over old and new state
  std::vector<CheckDecl> modes;  // `mode`: the assertion is the mode's predicate
  std::vector<StateDecl> states;
  std::vector<VarDecl> vars;
  std::vector<EventDecl> events;
  std::vector<OpDecl> ops;
  std::vector<FlowDecl> flows;
  std::vector<InstructionDecl> instructions;
  std::vector<PropertyDecl> properties;
};

inline std::string QName::str() const {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) s += '.';
    s += parts[i];
  }
  return s;
}

}  // namespace vcpuspec::ast
