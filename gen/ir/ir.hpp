// The resolved model: what sema produces and every backend (Z3, C++, DOT)
// consumes. Names are resolved to slots, widths are checked, defs inlined.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/citation.hpp"
#include "support/source.hpp"

namespace vcpuspec::ir {

// ---- slots: every bit-vector the spec talks about --------------------------

using SlotId = uint32_t;

enum class SlotKind : uint8_t {
  Register,       // CR0, RIP, RDX, ...
  Msr,            // EFER, PAT, ... (an MSR index is recorded)
  SegmentMember,  // CS.sel, CS.base, CS.limit, CS.ar
  DtableMember,   // GDTR.base, GDTR.limit
  Param,          // cpu.maxphyaddr: CPU or hypervisor configuration, a number
  Feature,        // cpu.la57, vmx.unrestricted_guest: configuration, one bit
  Control,        // VMX/SVM control fields
  Var,            // hypervisor-internal state a flow reads and writes (VMCS/VMCB fields, caches)
  FlowParam,      // a flow's formal (`init`): an input shared by every flow that declares it
};

// vCPU state (reset by RESET/INIT) as opposed to configuration.
inline bool is_state(SlotKind k) { return k <= SlotKind::DtableMember; }
// What a flow's start state gives a value to: vCPU state and hypervisor variables.
inline bool is_flow_state(SlotKind k) { return is_state(k) || k == SlotKind::Var; }
const char* slot_kind_name(SlotKind k);

struct BitField {
  std::string name;
  unsigned hi = 0, lo = 0;
  bool alias = false;  // may overlap other fields (CR3.PCID over PWT/PCD)
  std::string doc;
  Loc loc;
  unsigned width() const { return hi - lo + 1; }
};

struct Slot {
  std::string name;    // "CR0", "CS.sel", "cpu.maxphyaddr"
  unsigned width = 0;  // 1..64
  SlotKind kind = SlotKind::Register;
  std::string group;   // "CS" for CS.sel
  std::string member;  // "sel" for CS.sel
  std::optional<uint32_t> msr_index;
  std::vector<BitField> fields;
  uint64_t reserved_mask = 0;  // must be zero
  uint64_t fixed1_mask = 0;    // must be one
  std::optional<uint64_t> default_value;               // params/features/controls, constant vars
  // A var's default as a function of the flow's start state (`= CR0.PG`):
  // what KVM keeps it equal to. Counterexamples are minimised towards it.
  std::shared_ptr<const struct Expr> start_default;
  std::optional<std::pair<uint64_t, uint64_t>> range;  // params
  std::optional<SlotId> default_from;  // controls: `= feature`, follows that config slot when not given
  int word = -1;  // a bit of a control word: its index in Model::control_words
  int bit = -1;   // ... and its bit there
  // A control bit's `loads`: guest fields VM entry (VMRUN) loads only when the
  // bit is 1; where it is 0 their fields are not the guest's values.
  std::vector<SlotId> loads;
  std::shared_ptr<const struct Expr> loads_else;  // `loads F else e`: F where the bit is 0
  int activates = -1;  // `activates W`: the control word (index) VM entry reads as 0 where the bit is 0
  std::string doc;
  Loc loc;
  const BitField* field(const std::string& n) const;
  // The named (non-alias) field covering exactly bits hi:lo, if any.
  const BitField* field_at(unsigned hi, unsigned lo) const;
};

// ---- expressions -----------------------------------------------------------
// Every value is a bit-vector of 1..64 bits; booleans are 1-bit.

enum class Op : uint8_t {
  Const, Var, Arg,
  Extract,                  // args[0][hi:lo]
  LNot, BNot, Neg,
  LAnd, LOr, Implies,       // 1-bit operands
  BAnd, BOr, BXor, Add, Sub,
  Shl, Lshr,                // the amount may have any width (zero-extended)
  Eq, Ne, Ult, Ule, Ugt, Uge,
  Ite,                      // args: cond, then, else
  Sext, Zext,               // to `width`
  In,                       // args[0] in {args[1..]}
  Call,                     // a def: args are the actuals, `body` the inlined meaning
  // Only in an instruction's program (the mode machine's Z3 lowering):
  Legal,                    // the current state passes every arch check
  After,                    // the current state is one `state` leaves from some legal state
};

// Which state a Var reads: the current one, or the one before (INIT(prev));
// in a flow property, Prev is the state the flow started from (`start.X`).
// Configuration slots always use Cur.
enum class Frame : uint8_t { Cur, Prev };

struct Def;
struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

struct Expr {
  Op op = Op::Const;
  unsigned width = 1;
  uint64_t value = 0;         // Const
  SlotId slot = 0;            // Var
  Frame frame = Frame::Cur;   // Var
  unsigned index = 0;         // Arg: parameter number inside a def body
  unsigned hi = 0, lo = 0;    // Extract
  std::vector<ExprPtr> args;
  ExprPtr body;               // Call: the def body with the actuals substituted
  const Def* def = nullptr;   // Call
  const struct StateDef* state = nullptr;  // After
  Loc loc;
};

struct DefParam {
  std::string name;
  unsigned width;
};

struct Def {
  std::string name;
  std::vector<DefParam> params;
  unsigned width = 1;
  std::string doc;
  ExprPtr body;  // uses Op::Arg for the parameters
  Loc loc;
  bool control_word = false;  // `entry`: the word its bits make, printed without ()
};

// ---- checks and states -----------------------------------------------------

struct Check {
  std::string id;       // ARCH.CR0.NW_NEEDS_CD
  std::string text;     // one sentence, shown with every finding
  std::string cite;     // all `cite` clauses, joined by "; "
  std::vector<Citation> sources;  // those a reader can open (`cite KIND ...`), in order
  std::string scope;    // arch | vmx | svm
  // Which verdict a failure belongs to: "entry" (the VM entry or VMRUN would
  // fail: the vmx and svm checks) or "architecture" (no CPU is in this state
  // by itself, though an entry may take it: the arch checks).
  std::string question;
  ExprPtr when;         // null: always applies
  ExprPtr assertion;
  std::vector<std::string> overlaps;  // checks this one is known to overlap
  std::string note;
  Loc loc;
  std::vector<SlotId> reads;  // every slot when/assert read, sorted
};

// A rule about one write (`transition`): `assertion` reads the state before
// the write as Frame::Prev (`old.CR0.PG`) and the state after it as
// Frame::Cur. It applies to a write that targets one of the `on` slots.
struct Transition : Check {
  std::vector<SlotId> on;          // sorted
  std::vector<std::string> on_names;  // as written: CR0, EFER, CS
};

// A catalogue row that hardware deliberately does not check (`noncheck`):
// shown by `explain`, never evaluated.
struct NonCheck {
  std::string id, text, cite, scope, note;
  Loc loc;
  std::vector<Citation> sources = {};
};

// An operating mode (`mode`): a predicate over one state (Frame::Cur only).
// The modes of a spec are meant to be disjoint and to cover every legal
// state; `render modes` proves both before it draws the machine.
struct Mode {
  std::string id, text, cite, note;  // MODE.LONG64, "64-bit mode", ...
  ExprPtr pred;
  Loc loc;
  std::vector<Citation> sources = {};
};

// The value a state gives bits hi:lo of one slot.
struct Piece {
  unsigned hi = 0, lo = 0;
  ExprPtr value;  // width hi-lo+1; may read Frame::Prev and configuration
  std::string cite;
  Loc loc;
  bool implicit = false;  // a reserved or fixed-1 bit no item gave (cite "reserved bits")
  uint64_t mask() const;
};

struct SlotInit {
  std::vector<Piece> pieces;  // disjoint, sorted from high bits to low
  bool unspecified = false;   // declared free on purpose
  uint64_t care_mask() const;  // bits some piece defines
};

// How a VMM's state departs from the architectural state it is for
// (`differs KIND "why"`): its own choice, harmless, a bug, a value the
// manuals leave to the implementation, or a value not read.
enum class DiffersKind { Intentional, Harmless, Discrepancy, ImplementationDefined, Unknown };
const char* differs_kind_name(DiffersKind k);  // "intentional", ..., "implementation_defined"
std::optional<DiffersKind> parse_differs_kind(const std::string& s);

// Bits `mask` of one slot, classified by the item that set them.
struct Classified {
  SlotId slot = 0;
  uint64_t mask = 0;
  DiffersKind kind = DiffersKind::Harmless;
  std::string why;
  std::string cite;
  Loc loc;
  bool inherited = false;  // came with `like` from another VMM state
};

// RESET, or INIT(prev): a function from (configuration, previous state) to a state.
struct StateDef {
  std::string name;
  std::optional<std::string> prev_name;
  std::string doc;
  std::string cite;
  std::vector<Citation> sources;
  Loc loc;
  // Indexed by SlotId; empty for configuration slots.
  std::vector<std::optional<SlotInit>> init;
  // A VMM's state (`state qemu.RESET for RESET`): the architectural state it
  // is compared with, the VMM ("qemu"), and its classified differences.
  std::string for_state;
  std::string vmm;
  std::vector<Classified> classified;
  bool parametric() const { return prev_name.has_value(); }
};

// A segment or descriptor-table register made of several slots.
struct Group {
  std::string name;  // CS, GDTR
  SlotKind kind;     // SegmentMember or DtableMember
  std::vector<SlotId> members;
  std::string layout;  // the struct: Segment, DescriptorTable
};

// A VMCS control field or VMCB word whose bits are 1-bit controls
// (`control entry : 32 { load_efer 15; }`): readers split a raw word by
// them, and `entry` in an expression is the word they make.
struct ControlWord {
  std::string name;  // "entry"; "" for an unnamed VMCB word
  unsigned width = 32;
  int offset = -1;   // its VMCB offset (`at 0x090`), or -1
  std::string doc;
  Loc loc;
  std::vector<std::pair<SlotId, unsigned>> bits;  // (control, bit), by bit
  // A named word's other bits (`entry.other_bits`): the raw word with its
  // declared bits masked off, so that `entry` is the whole field a dump
  // prints and the allowed-0/1 checks see every bit, not only the named ones.
  std::optional<SlotId> other;
  uint64_t declared() const;  // the mask of its declared bits
};

struct Flow;
struct Instruction;
struct Property;
struct Event {
  std::string name;
  std::string doc;
  Loc loc;
};

struct Model {
  std::vector<Slot> slots;
  std::map<std::string, SlotId> slot_by_name;
  std::vector<Group> groups;
  std::vector<ControlWord> control_words;
  std::vector<std::unique_ptr<Def>> defs;
  std::vector<Check> checks;
  std::vector<NonCheck> nonchecks;
  std::vector<Transition> transitions;
  std::vector<Mode> modes;
  std::vector<StateDef> states;
  std::vector<Event> events;
  std::vector<std::unique_ptr<Flow>> flows;           // flow.hpp
  std::vector<std::unique_ptr<Instruction>> instructions;  // flow.hpp: the mode machine's writes
  std::vector<std::unique_ptr<Property>> properties;  // flow.hpp

  Model();
  ~Model();
  const Slot& slot(SlotId id) const { return slots.at(id); }
  std::optional<SlotId> find_slot(const std::string& name) const;
  const Check* find_check(const std::string& id) const;
  const Transition* find_transition(const std::string& id) const;
  const StateDef* find_state(const std::string& name) const;
  const Group* find_group(const std::string& name) const;
  const ControlWord* find_control_word(const std::string& name) const;
  // The first state that is not parametric (RESET): flows' default start.
  const StateDef* reset_state() const;
};

// ---- helpers ---------------------------------------------------------------

inline uint64_t mask_of(unsigned width) { return width >= 64 ? ~0ULL : ((1ULL << width) - 1); }
inline uint64_t range_mask(unsigned hi, unsigned lo) { return mask_of(hi - lo + 1) << lo; }

ExprPtr make_const(uint64_t value, unsigned width);
ExprPtr make_var(SlotId slot, unsigned width, Frame frame = Frame::Cur);
ExprPtr make_extract(ExprPtr e, unsigned hi, unsigned lo);
ExprPtr make_op(Op op, unsigned width, std::vector<ExprPtr> args);

// Evaluates an expression with no Vars (and no Args); nullopt otherwise.
std::optional<uint64_t> fold(const Expr& e);
// Full evaluation with every slot known (values indexed by SlotId; `prev` may
// be null when the expression does not read Frame::Prev).
uint64_t evaluate(const Expr& e, const std::vector<uint64_t>& cur, const std::vector<uint64_t>* prev);

// Slots an expression reads, added to `out` (sorted, unique).
void collect_reads(const Expr& e, std::vector<SlotId>& out);
bool reads_frame(const Expr& e, Frame f);

// The expression in DSL syntax: `CR0.PG`, `EFER.LMA -> CR0.PG && CR4.PAE`.
std::string print(const Model& m, const Expr& e);
// A transition's predicate: Frame::Prev as `old.`.
std::string print_transition(const Model& m, const Expr& e);
// The same inside a flow: temporaries by name, Frame::Prev as `start.`
// (an instruction's program: `old.`).
std::string print_in_flow(const Model& m, const std::vector<Slot>* temps, const Expr& e,
                          const char* prev_label = "start.");
// A number as the spec and reports show it: hex with 0x, decimal for 1-bit.
std::string format_value(uint64_t v, unsigned width);

}  // namespace vcpuspec::ir
