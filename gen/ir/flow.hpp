// Flows and properties, resolved. Sema inlines every op call, so a flow is a
// straight-line program of guarded instructions: each runs when its guard (the
// path condition of the `if`s around it) holds. Locals (`let`, op formals)
// are temporaries numbered after the model's slots. Both the Z3 lowering
// (SSA, one term per write) and the concrete interpreter (flow_exec) read this.
#pragma once
#include <string>
#include <vector>

#include "ir/ir.hpp"

namespace vcpuspec::ir {

using EventId = uint32_t;

struct Instr {
  enum class Kind : uint8_t {
    Assign,  // bits hi:lo of `slot` := value
    Emit,    // `event` happens here
    Assume,  // `value` holds on this path (constrains the inputs)
    Enter,   // an op call starts (call = index into Flow::calls)
    Leave,   // ... and ends
    Step,    // the boundary after top-level statement `step`
    Any,     // bits hi:lo of `slot` := a value of the instruction's choosing (`X := any`)
    Load,    // every state slot := `state` applied to the current state; null: any state
  };
  Kind kind = Kind::Assign;
  ExprPtr guard;  // 1 bit; null: always runs
  SlotId slot = 0;
  unsigned hi = 0, lo = 0;
  ExprPtr value;
  EventId event = 0;
  uint32_t call = 0;
  uint32_t step = 0;  // the top-level statement this instruction belongs to
  const StateDef* state = nullptr;  // Load
  Loc loc;
};

// One op call site after inlining.
struct CallSite {
  std::string op;       // vmx_5_15.set_cr0
  std::string args;     // the arguments as written
  uint32_t parent = 0;  // enclosing call + 1; 0 at the flow's top level
  unsigned depth = 0;
  Loc loc;
};

// A top-level statement of the flow: a row of a counterexample's step table.
struct FlowStep {
  std::string text;  // `vmx_5_15.set_cr0(new_cr0)`, `RIP := 0xFFF0`, `if !init { ... }`
  Loc loc;
};

struct Flow {
  std::string name;    // kvm_5_15.vcpu_reset_vmx
  std::string doc;
  std::string cite;    // all `cite` clauses, joined by "; "
  std::vector<Citation> sources;  // those a reader can open
  std::string scope;   // vmx | svm
  std::string kernel;  // "5.10", "5.15"
  Loc loc;
  std::vector<SlotId> formals;  // FlowParam slots
  std::vector<Slot> temps;      // SlotId of temps[i] = model.slots.size() + i
  std::vector<Instr> code;
  std::vector<CallSite> calls;
  std::vector<FlowStep> steps;
};

// One write of the mode machine (`instruction` or `signal`): a program run
// from one state (read as `old.X`), whose `assume`s say which states take it
// and what its operands may be, and whose final state is what it leaves.
// Only the mode machine runs it; Any and Load occur only here.
struct Instruction {
  std::string id;       // MOV_CR0
  std::string label;    // "MOV CR0": the edge label
  bool signal = false;  // delivered to the CPU (SMI, INIT), not executed by it
  std::vector<std::string> on;  // the write rules (`transition ... on`) that apply
  std::string cite, note;
  std::vector<Citation> sources;
  Flow program;  // scope "arch"; Frame::Prev is the state before
  Loc loc;
};

struct Property {
  enum class Form : uint8_t { Always, AtEvent, Finally, FinallyIn, Order };
  std::string id;       // H3.LMA_FROM_OLD_CR0
  std::string text;
  std::string cite;
  std::vector<Citation> sources;
  std::string patch;    // the fix: "22/46 KVM: VMX: Remove direct write to vcpu->arch.cr0 ..."
  std::string scope;    // vmx | svm | common
  std::string note;
  Form form = Form::Finally;
  ExprPtr when;         // null: always; reads config, flow params and start (Frame::Prev)
  ExprPtr body;         // Always, AtEvent, Finally: Cur = the state there, Prev = the start
  EventId event = 0;    // AtEvent; Order: `event before before_event`
  EventId before_event = 0;
  const StateDef* state = nullptr;  // FinallyIn: INIT's prev is the start state
  std::vector<std::pair<SlotId, uint64_t>> except;  // FinallyIn: bits not compared
  Loc loc;
};

const char* form_name(Property::Form f);
bool property_applies(const Property& p, const Flow& f);
// A slot or a flow temporary, by id.
const Slot& flow_slot(const Model& m, const Flow& f, SlotId id);

}  // namespace vcpuspec::ir
