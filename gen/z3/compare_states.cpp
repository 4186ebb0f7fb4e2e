#include "z3/compare_states.hpp"

#include <algorithm>

#include "ir/term_text.hpp"
#include "z3/encode.hpp"
#include "z3/solve.hpp"

namespace vcpuspec::smt {

namespace {

// The pieces of `init` as one string: equal strings, equal values (a state
// inherited with `like` and not overridden there costs no query).
std::string pieces_key(const ir::SlotInit& init, uint64_t care) {
  std::string key;
  for (const ir::Piece& p : init.pieces) {
    if (!(p.mask() & care)) continue;
    key += std::to_string(p.hi) + ":" + std::to_string(p.lo) + "=" + ir::write_term(*p.value) + ";";
  }
  return key;
}

// The parts of one slot a difference is reported by: its named fields (not
// aliases), then each run of bits no field names; a slot without fields is one part.
struct Part {
  std::string name;
  unsigned hi, lo;
  bool named = true;  // a field of the slot (or the slot); false: a run of unnamed bits
};

std::vector<Part> parts_of(const ir::Slot& slot, uint64_t care) {
  std::vector<Part> out;
  uint64_t named = 0;
  for (const ir::BitField& f : slot.fields) {
    if (f.alias) continue;
    uint64_t m = ir::range_mask(f.hi, f.lo);
    if (!(m & care) || (m & named)) continue;
    out.push_back({slot.name + "." + f.name, f.hi, f.lo});
    named |= m;
  }
  if (out.empty()) return {{slot.name, slot.width - 1, 0}};
  uint64_t rest = care & ~named;
  for (int bit = 63; bit >= 0;) {
    if (!((rest >> bit) & 1)) { --bit; continue; }
    unsigned hi = static_cast<unsigned>(bit);
    while (bit >= 0 && ((rest >> bit) & 1)) --bit;
    unsigned lo = static_cast<unsigned>(bit + 1);
    out.push_back({slot.name + (hi == lo ? "[" + std::to_string(hi) + "]"
                                         : "[" + std::to_string(hi) + ":" + std::to_string(lo) + "]"),
                   hi, lo, false});
  }
  std::sort(out.begin(), out.end(), [](const Part& a, const Part& b) { return a.hi > b.hi; });
  return out;
}

// The citation of the items that define `bits` of a slot, else the state's.
std::string cite_of(const ir::StateDef& st, ir::SlotId id, uint64_t bits) {
  std::string out;
  if (st.init[id])
    for (const ir::Piece& p : st.init[id]->pieces)
      if ((p.mask() & bits) && !p.cite.empty() && !p.implicit && out.find(p.cite) == std::string::npos)
        out += (out.empty() ? "" : "; ") + p.cite;
  return out.empty() ? st.cite : out;
}

// The bits of a slot some item of the state gives: not those it leaves
// unspecified, nor the reserved and fixed-1 bits sema fills in.
uint64_t given_bits(const ir::SlotInit& init) {
  uint64_t given = 0;
  for (const ir::Piece& p : init.pieces)
    if (!p.implicit) given |= p.mask();
  return given;
}

// Whether piece `p` of slot `id` is `keep`: the previous state's same bits.
bool kept_piece(const ir::Piece& p, ir::SlotId id) {
  const ir::Expr& e = *p.value;
  const ir::Expr* var = e.op == ir::Op::Extract ? e.args[0].get() : &e;
  return var->op == ir::Op::Var && var->slot == id && var->frame == ir::Frame::Prev &&
         (e.op != ir::Op::Extract || e.lo == p.lo);
}

}  // namespace

std::string state_bits_text(const ir::Model& model, const ir::StateDef& st, ir::SlotId id, uint64_t bits,
                            unsigned shift) {
  if (!st.init[id] || !bits || !(given_bits(*st.init[id]) & bits)) return "unspecified";
  uint64_t constant = 0, covered = 0;
  bool any_constant = false;
  std::vector<std::string> printed, kept;  // the pieces that are not constant: as text, and those that are `keep`s
  for (const ir::Piece& p : st.init[id]->pieces) {
    if (!(p.mask() & bits)) continue;
    covered |= p.mask() & bits;
    if (auto v = ir::fold(*p.value)) {
      constant |= (*v << p.lo) & bits;
      any_constant = true;
      continue;
    }
    unsigned hi = 63 - static_cast<unsigned>(__builtin_clzll(p.mask() & bits)), lo = __builtin_ctzll(p.mask() & bits);
    printed.push_back(hi == p.hi && lo == p.lo ? ir::print(model, *p.value)
                                               : ir::print(model, *ir::make_extract(p.value, hi - p.lo, lo - p.lo)));
    if (!kept_piece(p, id)) continue;
    std::string name = "bits " + std::to_string(p.hi) + ":" + std::to_string(p.lo);
    for (const ir::BitField& f : model.slot(id).fields)
      if (f.hi == p.hi && f.lo == p.lo) name = f.name;
    kept.push_back(name);
  }
  if (covered != bits) return "partly unspecified";
  unsigned width = 64 - static_cast<unsigned>(__builtin_clzll(bits)) - shift;
  if (printed.empty()) return ir::format_value(constant >> shift, width);
  if (kept.size() < printed.size()) {  // some piece is an expression: show them
    std::string out;
    for (const std::string& t : printed) out += (out.empty() ? "" : ", ") + t;
    return out;
  }
  if (!any_constant) return "kept";
  // Constant bits with some fields kept (INIT's CR0): "0x10, CD and NW kept".
  std::string out = ir::format_value(constant >> shift, width) + ", ";
  for (size_t i = 0; i < kept.size(); ++i) out += (i ? i + 1 == kept.size() ? " and " : ", " : "") + kept[i];
  return out + " kept";
}

std::vector<StateComparison> compare_vmm_states(const ir::Model& model, const Limits& limits,
                                                const std::vector<std::string>& vmms) {
  std::vector<StateComparison> out;
  z3::context ctx;
  Encoder enc(ctx, model);
  z3::expr axioms = enc.config_axioms();
  for (const ir::StateDef& vmm : model.states) {
    if (vmm.for_state.empty() || !selected(vmms, vmm.vmm)) continue;
    const ir::StateDef* arch = model.find_state(vmm.for_state);
    if (!arch) continue;
    StateComparison cmp;
    cmp.vmm_state = &vmm;
    cmp.arch_state = arch;
    Valuation prev = enc.state_vars("prev");
    const Valuation* p = vmm.parametric() ? &prev : nullptr;
    Valuation v = enc.apply_state(vmm, p, vmm.name);
    Valuation a = enc.apply_state(*arch, p, arch->name);
    z3::solver solver = make_solver(ctx, limits);
    solver.add(axioms);
    if (p) solver.add(enc.legal(prev));
    std::vector<uint64_t> differing(model.slots.size(), 0);
    for (ir::SlotId id = 0; id < model.slots.size(); ++id) {
      const ir::Slot& slot = model.slot(id);
      if (!ir::is_state(slot.kind) || !arch->init[id]) continue;
      uint64_t care = arch->init[id]->care_mask();
      if (!care) continue;  // the architecture leaves it free: nothing differs
      if (vmm.init[id] && !vmm.init[id]->unspecified && (vmm.init[id]->care_mask() & care) == care &&
          pieces_key(*vmm.init[id], care) == pieces_key(*arch->init[id], care))
        continue;
      // Which parts can differ; where every named field does, the slot is one row.
      std::vector<Part> parts = parts_of(slot, care), differ;
      for (const Part& part : parts) {
        uint64_t bits = ir::range_mask(part.hi, part.lo) & care;
        if (!bits) continue;
        z3::expr m = enc.num(bits, slot.width);
        solver.push();
        solver.add((v[id] & m) != (a[id] & m));
        std::string reason;
        z3::check_result r = check(solver, reason);
        solver.pop();
        if (r == z3::unsat) continue;
        if (r == z3::unknown) {
          cmp.unknown.push_back(part.name + " (" + reason + ")");
          continue;
        }
        differ.push_back(part);
      }
      auto count_named = [](const std::vector<Part>& ps) {
        return std::count_if(ps.begin(), ps.end(), [](const Part& x) { return x.named; });
      };
      const auto named = count_named(parts), named_differ = count_named(differ);
      // Each row: the part, the bits that differ, the bits its values are shown for.
      struct Row {
        Part part;
        uint64_t bits, shown;
      };
      std::vector<Row> rows;
      for (const Part& part : differ) {
        uint64_t b = ir::range_mask(part.hi, part.lo) & care;
        rows.push_back({part, b, b});
      }
      // Three or more fields that one item of the VMM's state sets read
      // better as the register's two values (FCW 0x37f against 0x40).
      auto one_item = [&] {
        std::optional<Loc> where;
        for (const Part& part : differ) {
          uint64_t b = ir::range_mask(part.hi, part.lo);
          const ir::Classified* c = nullptr;
          for (const ir::Classified& x : vmm.classified)
            if (x.slot == id && (x.mask & b & care) == (b & care)) c = &x;
          if (!c || (where && (where->line != c->loc.line || where->file != c->loc.file))) return false;
          where = c->loc;
        }
        return true;
      };
      if (differ.size() > 1 && (named_differ == named || (differ.size() >= 3 && one_item()))) {
        uint64_t bits = 0;
        for (const Row& r : rows) bits |= r.bits;
        rows = {{{slot.name, slot.width - 1, 0}, bits, care}};
      }
      for (const auto& [part, bits, shown] : rows) {
        FieldDifference d;
        d.slot = id;
        d.field = part.name;
        d.bits = bits;
        d.vmm_value = state_bits_text(model, vmm, id, shown, part.lo);
        d.arch_value = state_bits_text(model, *arch, id, shown, part.lo);
        d.vmm_cite = cite_of(vmm, id, bits);
        d.arch_cite = cite_of(*arch, id, bits);
        d.vmm_loc = vmm.loc;
        if (vmm.init[id])
          for (const ir::Piece& pc : vmm.init[id]->pieces)
            if ((pc.mask() & bits) && pc.loc.file == vmm.loc.file && pc.loc.line >= vmm.loc.line) d.vmm_loc = pc.loc;
        for (const ir::Classified& c : vmm.classified)
          if (c.slot == id && (c.mask & bits) == bits) d.classified = c;
        differing[id] |= bits;
        cmp.differences.push_back(std::move(d));
      }
    }
    // The architecture's checks on the VMM's state. Bits the VMM's state
    // leaves free take the architectural state's value, so that a check fails
    // because of what the VMM writes, not because of a value it was never read to write.
    Valuation filled = v;
    for (ir::SlotId id = 0; id < model.slots.size(); ++id) {
      if (!ir::is_state(model.slot(id).kind)) continue;
      uint64_t given = vmm.init[id] ? given_bits(*vmm.init[id]) : 0;
      z3::expr m = enc.num(given, model.slot(id).width);
      filled[id] = (v[id] & m) | (a[id] & ~m);
    }
    for (const ir::Check& c : model.checks) {
      if (c.scope != "arch") continue;
      solver.push();
      solver.add(!enc.holds(c, filled));
      std::string reason;
      z3::check_result r = check(solver, reason);
      solver.pop();
      if (r == z3::sat) cmp.failed_checks.push_back(&c);
      if (r == z3::unknown) cmp.unknown.push_back(c.id + " (" + reason + ")");
    }
    // A classification of the state's own items must mark a real difference.
    for (const ir::Classified& c : vmm.classified)
      if (!c.inherited && !(differing[c.slot] & c.mask)) cmp.stale.push_back(c);
    bool unclassified = std::any_of(cmp.differences.begin(), cmp.differences.end(),
                                    [](const FieldDifference& d) { return !d.classified; });
    cmp.outcome = unclassified || !cmp.stale.empty() ? Outcome::Failed
                  : !cmp.unknown.empty()             ? Outcome::Unknown
                                                     : Outcome::Proved;
    out.push_back(std::move(cmp));
  }
  return out;
}

}  // namespace vcpuspec::smt
