#include "z3/mode_writes.hpp"

#include <stdexcept>

namespace vcpuspec::smt {

namespace {

// A 1-bit field as a Boolean.
z3::expr on(FieldAccess& f, const Valuation& v, const char* field) { return f.get(v, field) == 1; }

// The CPU executes instructions: not halted, waiting or shut down.
z3::expr executing(FieldAccess& f, const Valuation& s) { return f.get(s, "ACTIVITY_STATE") == 0; }

// CPL 0: always in real mode; in protected mode SS.DPL is the CPL (SDM Vol.3
// 24.4.1 keeps it there); never in virtual-8086 mode, which runs at CPL 3.
z3::expr cpl0(FieldAccess& f, const Valuation& s) {
  return !on(f, s, "CR0.PE") || (!on(f, s, "RFLAGS.VM") && f.get(s, "SS.ar.DPL") == 0);
}

// Every member of a segment fresh: what a far jump, IRET or an interrupt loads.
void load_segment(FieldAccess& f, Valuation& t, const std::string& seg, const std::string& instance) {
  for (const char* m : {"sel", "base", "limit", "ar"}) f.set(t, seg + "." + m, f.fresh(instance, seg + "." + m));
}

WriteStep plain(FieldAccess& f, const Valuation& s) {
  return WriteStep{executing(f, s) && !on(f, s, "SMM"), s, f.enc().ctx().bool_val(true), true};
}

}  // namespace

FieldAccess::Where FieldAccess::find(const std::string& field) const {
  const ir::Model& m = enc_.model();
  if (auto id = m.find_slot(field)) return {*id, m.slot(*id).width - 1, 0};
  auto dot = field.rfind('.');
  if (dot != std::string::npos)
    if (auto id = m.find_slot(field.substr(0, dot)))
      for (const ir::BitField& b : m.slot(*id).fields)
        if (b.name == field.substr(dot + 1)) return {*id, b.hi, b.lo};
  // The write table names fields of the built-in spec; a spec without them
  // cannot draw the mode machine (the caller reports it).
  throw std::invalid_argument(field);
}

z3::expr FieldAccess::get(const Valuation& v, const std::string& field) const {
  Where w = find(field);
  const z3::expr& e = v[w.slot];
  return w.hi - w.lo + 1 == enc_.model().slot(w.slot).width ? e : e.extract(w.hi, w.lo);
}

void FieldAccess::set(Valuation& v, const std::string& field, const z3::expr& value) const {
  Where w = find(field);
  v[w.slot] = splice(v[w.slot], value, w.hi, w.lo, enc_.model().slot(w.slot).width);
}

void FieldAccess::set(Valuation& v, const std::string& field, uint64_t value) const {
  Where w = find(field);
  set(v, field, enc_.num(value, w.hi - w.lo + 1));
}

z3::expr FieldAccess::fresh(const std::string& instance, const std::string& field) const {
  Where w = find(field);
  return enc_.ctx().bv_const((instance + "!" + field).c_str(), w.hi - w.lo + 1);
}

std::vector<ModeWrite> mode_writes(const ir::Model& m) {
  std::vector<ModeWrite> w;
  // MOV to CR0: the new CR0, and the CPU's own update of EFER.LMA.
  w.push_back({"MOV CR0", "SDM Vol.2 MOV to/from control registers (#GP at CPL > 0); SDM Vol.3 9.8.5 (EFER.LMA := LME && PG)",
               {"CR0"}, [](FieldAccess& f, const Valuation& s) {
                 WriteStep st = plain(f, s);
                 st.pre = st.pre && cpl0(f, s);
                 f.set(st.post, "CR0", f.fresh("mov_cr0", "CR0"));
                 f.set(st.post, "EFER.LMA", f.get(st.post, "CR0.PG") & f.get(s, "EFER.LME"));
                 return st;
               }});
  w.push_back({"MOV CR4", "SDM Vol.2 MOV to/from control registers (#GP at CPL > 0)", {"CR4"},
               [](FieldAccess& f, const Valuation& s) {
                 WriteStep st = plain(f, s);
                 st.pre = st.pre && cpl0(f, s);
                 f.set(st.post, "CR4", f.fresh("mov_cr4", "CR4"));
                 return st;
               }});
  // WRMSR cannot write EFER.LMA: the CPU keeps it (SDM Vol.3 9.8.5).
  w.push_back({"WRMSR EFER", "SDM Vol.2 WRMSR (#GP at CPL > 0); SDM Vol.3 9.8.5 (EFER.LMA is read-only to software)", {"EFER"},
               [](FieldAccess& f, const Valuation& s) {
                 WriteStep st = plain(f, s);
                 st.pre = st.pre && cpl0(f, s);
                 z3::expr lma = f.get(s, "EFER.LMA");
                 f.set(st.post, "EFER", f.fresh("wrmsr_efer", "EFER"));
                 f.set(st.post, "EFER.LMA", lma);
                 return st;
               }});
  // A far JMP/CALL/RET loads CS (with CS.L and CS.D) and nothing that sets the mode.
  w.push_back({"far JMP", "SDM Vol.2 JMP (far jumps load CS, CS.L and CS.D); SDM Vol.3 9.8.5.3 (compatibility <-> 64-bit)",
               {"CS"}, [](FieldAccess& f, const Valuation& s) {
                 WriteStep st = plain(f, s);
                 load_segment(f, st.post, "CS", "far_jmp");
                 return st;
               }});
  // IRET in protected mode: RFLAGS, CS and SS from the stack. It enters
  // virtual-8086 mode only from CPL 0 outside IA-32e mode, and cannot leave it.
  w.push_back({"IRET", "SDM Vol.2 IRET (RETURN-TO-VIRTUAL-8086-MODE at CPL 0 only; #GP in IA-32e mode with VM=1 in the image)",
               {}, [](FieldAccess& f, const Valuation& s) {
                 WriteStep st = plain(f, s);
                 st.pre = st.pre && on(f, s, "CR0.PE");
                 f.set(st.post, "RFLAGS", f.fresh("iret", "RFLAGS"));
                 load_segment(f, st.post, "CS", "iret");
                 load_segment(f, st.post, "SS", "iret");
                 z3::expr vm = on(f, st.post, "RFLAGS.VM");
                 st.facts = z3::implies(vm, cpl0(f, s) && !on(f, s, "EFER.LMA")) &&
                            z3::implies(on(f, s, "RFLAGS.VM"), vm);
                 return st;
               }});
  // An interrupt or exception through an IDT gate: clears VM; in IA-32e mode
  // the gate's code segment is a 64-bit one.
  w.push_back({"interrupt", "SDM Vol.3 6.12.1 and 20.3.1 (an interrupt in virtual-8086 mode clears VM); SDM Vol.3 6.14.1 (IA-32e: the target is 64-bit code)",
               {}, [](FieldAccess& f, const Valuation& s) {
                 WriteStep st = plain(f, s);
                 st.pre = st.pre && on(f, s, "CR0.PE");
                 f.set(st.post, "RFLAGS.VM", 0);
                 load_segment(f, st.post, "CS", "intr");
                 load_segment(f, st.post, "SS", "intr");
                 st.facts = z3::implies(on(f, s, "EFER.LMA"), on(f, st.post, "CS.ar.L"));
                 return st;
               }});
  // SMI: the SMM entry state (SDM Vol.3 34.5.1, Table 34-4; KVM enter_smm).
  w.push_back({"SMI", "SDM Vol.3 34.5.1 and Table 34-4 (processor state on entering SMM); KVM arch/x86/kvm/smm.c enter_smm",
               {}, [](FieldAccess& f, const Valuation& s) {
                 WriteStep st = plain(f, s);
                 st.pre = !on(f, s, "SMM") && f.get(s, "ACTIVITY_STATE") <= 1;
                 Valuation& t = st.post;
                 f.set(t, "SMM", 1);
                 f.set(t, "ACTIVITY_STATE", 0);
                 for (const char* b : {"CR0.PE", "CR0.EM", "CR0.TS", "CR0.PG"}) f.set(t, b, 0);
                 f.set(t, "CR4", 0);
                 f.set(t, "EFER", 0);
                 f.set(t, "RFLAGS", 2);
                 f.set(t, "RIP", 0x8000);
                 z3::expr smbase = f.get(s, "SMBASE");
                 f.set(t, "CS.sel", smbase.extract(19, 4));
                 f.set(t, "CS.base", z3::zext(smbase, 32));
                 for (const char* seg : {"CS", "DS", "ES", "FS", "GS", "SS"}) {
                   std::string g = seg;
                   if (g != "CS") f.set(t, g + ".sel", 0), f.set(t, g + ".base", 0);
                   f.set(t, g + ".limit", 0xFFFFFFFF);
                   f.set(t, g + ".ar", 0x8093);  // present read/write data (CS: type 3 too), G=1, D=0
                 }
                 f.set(t, "IDTR.base", 0);
                 f.set(t, "IDTR.limit", 0);
                 return st;
               }});
  // RSM restores the state image from SMRAM; an image that is not a legal
  // state sends the CPU to shutdown (SDM Vol.2 RSM).
  w.push_back({"RSM", "SDM Vol.2 RSM (restores the state saved at the SMI); SDM Vol.3 34.10", {},
               [](FieldAccess& f, const Valuation& s) {
                 WriteStep st = plain(f, s);
                 st.pre = on(f, s, "SMM") && executing(f, s);
                 st.post = f.fresh_state("rsm_image");
                 f.set(st.post, "SMM", 0);
                 f.set(st.post, "ACTIVITY_STATE", 0);
                 return st;
               }});
  w.push_back({"RSM, invalid image", "SDM Vol.2 RSM (invalid state in the SMRAM image: shutdown)", {},
               [](FieldAccess& f, const Valuation& s) {
                 WriteStep st = plain(f, s);
                 st.pre = on(f, s, "SMM") && executing(f, s);
                 Valuation image = f.fresh_state("rsm_bad_image");
                 f.set(image, "SMM", 0);
                 f.set(image, "ACTIVITY_STATE", 0);
                 st.facts = !f.enc().legal(image, "arch");
                 // Where the CPU stops, its registers are whatever the image left: any legal state.
                 st.post = f.fresh_state("rsm_shutdown");
                 f.set(st.post, "SMM", 0);
                 f.set(st.post, "ACTIVITY_STATE", 2);
                 return st;
               }});
  // INIT: the spec's INIT(prev) state. Held pending in SMM (KVM kvm_smm_changed).
  const ir::StateDef* init = m.find_state("INIT");
  auto bsp = m.find_slot("vcpu.bsp");
  for (bool is_bsp : {true, false}) {
    w.push_back({is_bsp ? "INIT (BSP)" : "INIT (AP)",
                 "SDM Vol.3 9.1 and Table 9-1 (the INIT state: this spec's INIT(prev)); KVM kvm_vcpu_latch_init (latched in SMM)",
                 {}, [init, bsp, is_bsp](FieldAccess& f, const Valuation& s) {
                   WriteStep st = plain(f, s);
                   st.pre = !on(f, s, "SMM");
                   if (!init || !bsp) throw std::invalid_argument(!init ? "state INIT" : "vcpu.bsp");
                   st.post = f.enc().apply_state(*init, &s, is_bsp ? "init_bsp" : "init_ap");
                   st.facts = f.enc().config_var(*bsp) == (is_bsp ? 1 : 0);
                   return st;
                 }});
  }
  // SIPI: only an AP that INIT left waiting takes it; it starts in real mode
  // at vector * 4096 (SDM Vol.3 9.4.4; KVM kvm_vcpu_deliver_sipi_vector).
  w.push_back({"SIPI", "SDM Vol.3 9.4.4 and 10.6.1 (a SIPI starts a waiting AP at CS.sel = vector << 8, CS.base = vector << 12, IP 0)",
               {}, [init](FieldAccess& f, const Valuation& s) {
                 WriteStep st = plain(f, s);
                 if (!init) throw std::invalid_argument("state INIT");
                 Valuation prev = f.fresh_state("sipi_prev");
                 Valuation waiting = f.enc().apply_state(*init, &prev, "sipi_wait");
                 z3::expr same = f.enc().legal(prev, "arch");
                 for (size_t i = 0; i < s.size(); ++i)
                   if (ir::is_state(f.enc().model().slot(static_cast<ir::SlotId>(i)).kind)) same = same && s[i] == waiting[i];
                 st.pre = f.get(s, "ACTIVITY_STATE") == 3 && !on(f, s, "SMM") && same;
                 z3::expr vector = f.enc().ctx().bv_const("sipi!vector", 8);
                 f.set(st.post, "ACTIVITY_STATE", 0);
                 f.set(st.post, "CS.sel", z3::concat(vector, f.enc().num(0, 8)));
                 f.set(st.post, "CS.base", z3::zext(z3::concat(vector, f.enc().num(0, 12)), 44));
                 f.set(st.post, "RIP", 0);
                 return st;
               }});
  w.push_back({"triple fault", "SDM Vol.3 6.15 (Interrupt 8: a fault while delivering a double fault: shutdown)", {},
               [](FieldAccess& f, const Valuation& s) {
                 WriteStep st = plain(f, s);
                 f.set(st.post, "ACTIVITY_STATE", 2);
                 return st;
               }});
  return w;
}

}  // namespace vcpuspec::smt
