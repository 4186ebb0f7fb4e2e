#include "builtin/check_model.hpp"

#include "checker.gen.hpp"
#include "ir/term_text.hpp"

namespace vcpuspec::builtin {

namespace {

ir::SlotKind ir_kind(rt::SlotKind k) {
  switch (k) {
    case rt::SlotKind::Register: return ir::SlotKind::Register;
    case rt::SlotKind::Msr: return ir::SlotKind::Msr;
    case rt::SlotKind::SegmentMember: return ir::SlotKind::SegmentMember;
    case rt::SlotKind::DtableMember: return ir::SlotKind::DtableMember;
    case rt::SlotKind::Param: return ir::SlotKind::Param;
    case rt::SlotKind::Feature: return ir::SlotKind::Feature;
    case rt::SlotKind::Control: return ir::SlotKind::Control;
    case rt::SlotKind::Var: return ir::SlotKind::Var;
    case rt::SlotKind::FlowParam: return ir::SlotKind::FlowParam;
  }
  return ir::SlotKind::Var;
}

std::unique_ptr<ir::Model> build() {
  auto m = std::make_unique<ir::Model>();
  for (size_t i = 0; i < generated::kNumSlots; ++i) {
    const rt::SlotInfo& si = generated::kSlots[i];
    ir::Slot s;
    s.name = si.name;
    s.width = si.width;
    s.kind = ir_kind(si.kind);
    if (si.has_range) s.range = std::pair(si.range_lo, si.range_hi);
    m->slot_by_name.emplace(s.name, static_cast<ir::SlotId>(i));
    m->slots.push_back(std::move(s));
  }
  for (size_t i = 0; i < generated::kNumChecks; ++i) {
    const rt::CheckInfo& ci = generated::kChecks[i];
    ir::Check c;
    c.id = ci.id;
    c.text = ci.text;
    c.scope = ci.scope;
    c.question = ci.question;
    if (*generated::kCheckTerms[i][0]) c.when = ir::read_term(generated::kCheckTerms[i][0]);
    c.assertion = ir::read_term(generated::kCheckTerms[i][1]);
    c.reads.assign(ci.reads, ci.reads + ci.num_reads);
    m->checks.push_back(std::move(c));
  }
  return m;
}

}  // namespace

const ir::Model& check_model() {
  static const std::unique_ptr<ir::Model> model = build();
  return *model;
}

}  // namespace vcpuspec::builtin
