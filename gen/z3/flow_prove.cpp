#include "z3/flow_prove.hpp"

#include <algorithm>
#include <stdexcept>

#include "ir/flow.hpp"
#include "ir/flow_exec.hpp"
#include "z3/flow_encode.hpp"
#include "z3/solve.hpp"

namespace vcpuspec::smt {

namespace {

// A group of input bits a counterexample may move off its default: one
// bitfield, the rest of a register, or one configuration slot.
struct Chunk {
  ir::SlotId slot;
  uint64_t mask;
  std::string name;  // CR0.PG, CR0 (other bits), kvm.ept
};

std::vector<Chunk> input_chunks(const ir::Model& m) {
  std::vector<Chunk> out;
  for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
    const ir::Slot& s = m.slot(id);
    if (s.kind == ir::SlotKind::FlowParam) continue;  // always shown, never defaulted
    if (!ir::is_flow_state(s.kind) && !s.default_value && !s.start_default) continue;
    uint64_t all = ir::mask_of(s.width), named = 0;
    for (const ir::BitField& f : s.fields) {
      if (f.alias) continue;
      out.push_back(Chunk{id, ir::range_mask(f.hi, f.lo), s.name + "." + f.name});
      named |= ir::range_mask(f.hi, f.lo);
    }
    if (all & ~named) out.push_back(Chunk{id, all & ~named, named ? s.name + " (other bits)" : s.name});
  }
  return out;
}

// The default of every input: the RESET state for vCPU state, the declared
// default for vars and configuration (vars without one default to 0).
z3::expr default_value(Encoder& enc, const Chunk& c, const FlowTerms& t, const Valuation* reset) {
  const ir::Slot& s = enc.model().slot(c.slot);
  if (ir::is_state(s.kind) && reset) return (*reset)[c.slot];
  if (s.start_default) return enc.bv(*s.start_default, t.start, &t.start);
  return enc.num(s.default_value.value_or(0), s.width);
}

// The input agrees with its default on the bits of `mask`.
z3::expr at_default(Encoder& enc, const Chunk& c, uint64_t mask, const FlowTerms& t, const Valuation* reset) {
  z3::expr m = enc.num(mask, enc.model().slot(c.slot).width);
  return (t.start[c.slot] & m) == (default_value(enc, c, t, reset) & m);
}

std::string where_text(const ir::Model& m, const ir::Flow& f, const ir::Property& p, const ir::Verdict& v,
                       const ir::FlowTrace& tr) {
  auto step = [&](uint32_t k) { return "step " + std::to_string(k + 1); };
  auto inside = [&](const ir::EmitPoint& e) -> std::string {
    if (!e.call) return "";
    std::string path;
    for (uint32_t c = e.call; c; c = f.calls[c - 1].parent)
      path = f.calls[c - 1].op + (path.empty() ? "" : " > " + path);
    return " (in " + path + ")";
  };
  switch (p.form) {
    case ir::Property::Form::Always: return "after " + step(v.step);
    case ir::Property::Form::AtEvent: {
      const ir::EmitPoint& e = tr.emits[static_cast<size_t>(v.emit)];
      return "at event " + m.events[e.event].name + " in " + step(e.step) + inside(e);
    }
    case ir::Property::Form::Order: {
      const ir::EmitPoint& e = tr.emits[static_cast<size_t>(v.emit)];
      return "at event " + m.events[e.event].name + " in " + step(e.step) + inside(e) + ", with no " +
             m.events[p.event].name + " before it";
    }
    case ir::Property::Form::Finally: case ir::Property::Form::FinallyIn: return "at the end";
  }
  return "";
}

// What a step changed, by bitfield where a few named fields cover the change.
std::vector<FieldChange> changes(const ir::Model& m, const ir::Values& before, const ir::Values& after) {
  std::vector<FieldChange> out;
  for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
    const ir::Slot& s = m.slot(id);
    if (!ir::is_flow_state(s.kind) || before[id] == after[id]) continue;
    uint64_t diff = before[id] ^ after[id];
    std::vector<const ir::BitField*> hit;
    uint64_t covered = 0;
    for (const ir::BitField& f : s.fields)
      if (!f.alias && (diff & ir::range_mask(f.hi, f.lo))) {
        hit.push_back(&f);
        covered |= ir::range_mask(f.hi, f.lo);
      }
    if (!hit.empty() && hit.size() <= 3 && (diff & ~covered) == 0) {
      for (const ir::BitField* f : hit)
        out.push_back(FieldChange{s.name + "." + f->name, (before[id] >> f->lo) & ir::mask_of(f->width()),
                                  (after[id] >> f->lo) & ir::mask_of(f->width()), f->width()});
    } else {
      out.push_back(FieldChange{s.name, before[id], after[id], s.width});
    }
  }
  return out;
}

FlowCounterexample build_counterexample(const ir::Model& m, const ir::Flow& f, const ir::Property& p,
                                        const ir::FlowTrace& tr, const ir::Verdict& v) {
  FlowCounterexample ce;
  ce.where = where_text(m, f, p, v, tr);
  if (v.emit >= 0) ce.broke_event = m.events[tr.emits[static_cast<size_t>(v.emit)].event].name;
  for (uint32_t k = 0; k < f.steps.size(); ++k) {
    StepRow row;
    row.step = k + 1;
    row.text = f.steps[k].text;
    for (uint32_t c : tr.calls[k]) {
      const ir::CallSite& cs = f.calls[c];
      if (cs.depth == 0) continue;
      row.calls.push_back(std::string(2 * (cs.depth - 1), ' ') + cs.op + "(" + cs.args + ")");
    }
    row.changes = changes(m, k == 0 ? tr.start : tr.after[k - 1], tr.after[k]);
    for (size_t i = 0; i < tr.emits.size(); ++i)
      if (tr.emits[i].step == k) row.events.push_back(m.events[tr.emits[i].event].name);
    row.broke = v.step == k && p.form != ir::Property::Form::Finally && p.form != ir::Property::Form::FinallyIn;
    ce.rows.push_back(std::move(row));
  }
  if (p.form == ir::Property::Form::FinallyIn) {
    std::vector<uint64_t> care;
    ir::Values want = ir::apply_state(m, *p.state, tr.start, care);
    for (ir::SlotId id : v.fields)
      ce.expected.push_back(FieldChange{m.slot(id).name, want[id] & care[id], tr.final_state()[id] & care[id],
                                        m.slot(id).width});
  }
  return ce;
}

class FlowProver {
 public:
  FlowProver(const ir::Model& m, const FlowProveOptions& opts) : m_(m), opts_(opts), enc_(ctx_, m) {}

  void prove(const ir::Flow& f, std::vector<FlowObligation>& out) {
    FlowTerms t = encode_flow(enc_, f);
    const ir::StateDef* reset = m_.reset_state();
    Valuation reset_vals = reset ? enc_.apply_state(*reset, nullptr, "default") : Valuation{};
    z3::expr base = feasible_start(enc_, t);
    std::vector<Chunk> chunks = input_chunks(m_);

    for (const auto& pp : m_.properties) {
      const ir::Property& p = *pp;
      if (!ir::property_applies(p, f) || !selected(opts_.properties, p.id)) continue;
      FlowObligation ob;
      ob.property = p.id;
      ob.text = p.text;
      ob.cite = p.cite;
      ob.patch = p.patch;
      ob.note = p.note;
      ob.form = ir::form_name(p.form);
      ob.flow = f.name;
      ob.kernel = f.kernel;
      ob.scope = f.scope;
      z3::solver s = make_solver(ctx_, opts_.limits);
      s.add(base);
      s.add(property_premise(enc_, p, t));
      std::string reason;
      z3::check_result r = check(s, reason);
      if (r == z3::unsat) {
        ob.applicable = false;
        ob.outcome = Outcome::Proved;
        ob.reason = "no run of the flow meets the property's condition";
        out.push_back(std::move(ob));
        continue;
      }
      // An event property on a flow that never reaches its event holds only
      // vacuously: report it as not applicable, not as proved.
      if (r == z3::sat && (p.form == ir::Property::Form::AtEvent || p.form == ir::Property::Form::Order)) {
        ir::EventId ev = p.form == ir::Property::Form::AtEvent ? p.event : p.before_event;
        z3::expr reached = ctx_.bool_val(false);
        for (const FlowTerms::Emit& e : t.emits)
          if (e.event == ev) reached = reached || e.guard;
        s.push();
        s.add(reached);
        z3::check_result rr = check(s, reason);
        s.pop();
        if (rr == z3::unsat) {
          ob.applicable = false;
          ob.outcome = Outcome::Proved;
          ob.reason = "no run of the flow reaches event " + m_.events[ev].name;
          out.push_back(std::move(ob));
          continue;
        }
        r = rr == z3::unknown ? rr : r;
      }
      if (r == z3::sat) {
        s.add(property_violated(enc_, p, t));
        r = check(s, reason);
      }
      if (r == z3::unknown) {
        ob.outcome = Outcome::Unknown;
        ob.reason = reason;
      } else if (r == z3::unsat) {
        ob.outcome = Outcome::Proved;
      } else {
        ob.outcome = Outcome::Failed;
        counterexample(f, p, t, s, chunks, reset ? &reset_vals : nullptr, ob);
      }
      out.push_back(std::move(ob));
    }
  }

 private:
  // Moves inputs off their defaults only where the failure needs it: drop
  // one default from each unsat core until the rest is satisfiable, then put
  // back every dropped default that is not needed after all.
  void counterexample(const ir::Flow& f, const ir::Property& p, const FlowTerms& t, z3::solver& s,
                      const std::vector<Chunk>& chunks, const Valuation* reset, FlowObligation& ob) {
    z3::expr_vector lits(ctx_);
    for (size_t i = 0; i < chunks.size(); ++i) {
      z3::expr lit = ctx_.bool_const(("default!" + std::to_string(i)).c_str());
      s.add(z3::implies(lit, at_default(enc_, chunks[i], chunks[i].mask, t, reset)));
      lits.push_back(lit);
    }
    std::vector<bool> on(chunks.size(), true);
    std::vector<size_t> dropped;
    auto assumptions = [&]() {
      z3::expr_vector v(ctx_);
      for (size_t i = 0; i < chunks.size(); ++i)
        if (on[i]) v.push_back(lits[static_cast<int>(i)]);
      return v;
    };
    std::string reason;
    for (;;) {
      z3::check_result r = check(s, assumptions(), reason);
      if (r == z3::sat) break;
      if (r == z3::unknown) {
        ob.outcome = Outcome::Unknown;
        ob.reason = "minimising the counterexample: " + reason;
        return;
      }
      z3::expr_vector core = s.unsat_core();
      size_t pick = chunks.size();
      for (unsigned k = 0; k < core.size(); ++k)
        for (size_t i = 0; i < chunks.size(); ++i)
          if (on[i] && z3::eq(core[k], lits[static_cast<int>(i)])) pick = std::min(pick, i);
      if (pick == chunks.size()) throw std::logic_error("flow counterexample: empty unsat core");
      on[pick] = false;
      dropped.push_back(pick);
    }
    for (size_t i : dropped) {
      on[i] = true;
      if (check(s, assumptions(), reason) != z3::sat) on[i] = false;
    }
    // Inside each input that must move, keep as many bits at their default
    // as the failure allows, high bits first: 0x80, not 0x6b23ed80.
    z3::expr_vector kept = assumptions();
    for (size_t i : dropped) {
      if (on[i] || __builtin_popcountll(chunks[i].mask) == 1) continue;
      for (int b = 63; b >= 0; --b) {
        if (!((chunks[i].mask >> b) & 1)) continue;
        z3::expr lit = ctx_.bool_const(("bit!" + std::to_string(i) + "!" + std::to_string(b)).c_str());
        s.add(z3::implies(lit, at_default(enc_, chunks[i], 1ULL << b, t, reset)));
        kept.push_back(lit);
        if (check(s, kept, reason) != z3::sat) kept.pop_back();
      }
    }
    if (check(s, kept, reason) != z3::sat) {
      ob.outcome = Outcome::Unknown;
      ob.reason = "minimising the counterexample: " + reason;
      return;
    }
    z3::model model = s.get_model();
    ir::Values inputs(m_.slots.size(), 0);
    for (ir::SlotId id = 0; id < m_.slots.size(); ++id)
      inputs[id] = Encoder::value_of(model.eval(t.start[id], true));

    // Replay through the interpreter: it must fail the same way.
    ir::FlowTrace tr = ir::run_flow(m_, f, inputs);
    ir::Verdict v = ir::evaluate_property(m_, f, p, tr);
    if (!v.applies || v.holds) {
      ob.outcome = Outcome::Unknown;
      ob.reason = "internal: Z3 found a counterexample that the interpreter does not reproduce";
      return;
    }
    ob.ce = build_counterexample(m_, f, p, tr, v);
    for (ir::SlotId id : f.formals)
      ob.ce.inputs.push_back(FieldValue{"flow", m_.slot(id).name, inputs[id], m_.slot(id).width});
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (on[i]) continue;
      const Chunk& c = chunks[i];
      const ir::Slot& sl = m_.slot(c.slot);
      unsigned lo = static_cast<unsigned>(__builtin_ctzll(c.mask));
      unsigned hi = 63 - static_cast<unsigned>(__builtin_clzll(c.mask));
      bool contiguous = c.mask == ir::range_mask(hi, lo);
      uint64_t v = contiguous ? (inputs[c.slot] & c.mask) >> lo : inputs[c.slot] & c.mask;
      ob.ce.inputs.push_back(FieldValue{ir::is_flow_state(sl.kind) ? "start" : "config", c.name, v,
                                        contiguous ? hi - lo + 1 : sl.width});
    }
  }

  const ir::Model& m_;
  const FlowProveOptions& opts_;
  z3::context ctx_;
  Encoder enc_;
};

}  // namespace

std::vector<FlowObligation> prove_flows(const ir::Model& model, const FlowProveOptions& opts) {
  std::vector<FlowObligation> out;
  FlowProver prover(model, opts);
  for (const auto& f : model.flows)
    if (selected(opts.flows, f->name)) prover.prove(*f, out);
  return out;
}

struct FlowGroundEvaluator::Impl {
  const ir::Model& m;
  const ir::Flow& f;
  z3::context ctx;
  Encoder enc{ctx, m};
  FlowTerms t = encode_flow(enc, f);
  std::vector<z3::expr> bad;  // per property: premise && assumptions && violated

  Impl(const ir::Model& model, const ir::Flow& flow) : m(model), f(flow) {
    for (const auto& p : m.properties)
      bad.push_back(ir::property_applies(*p, f)
                        ? t.assumptions && property_premise(enc, *p, t) && property_violated(enc, *p, t)
                        : ctx.bool_val(false));
  }
};

std::vector<std::vector<uint64_t>> FlowGroundEvaluator::sample_feasible(unsigned n, unsigned seed) {
  Impl& i = *impl_;
  z3::expr feasible = feasible_start(i.enc, i.t);
  std::vector<std::vector<uint64_t>> out;
  for (unsigned k = 0; k < n; ++k) {
    z3::solver s(i.ctx, "QF_BV");
    z3::params p(i.ctx);
    p.set("random_seed", seed + k);
    p.set("phase", i.ctx.str_symbol("random"));
    s.set(p);
    s.add(feasible);
    if (s.check() != z3::sat) break;
    z3::model m = s.get_model();
    std::vector<uint64_t> v;
    for (ir::SlotId id = 0; id < i.m.slots.size(); ++id) v.push_back(Encoder::value_of(m.eval(i.t.start[id], true)));
    out.push_back(std::move(v));
  }
  return out;
}

FlowGroundEvaluator::FlowGroundEvaluator(const ir::Model& model, const ir::Flow& flow)
    : impl_(std::make_unique<Impl>(model, flow)) {}
FlowGroundEvaluator::~FlowGroundEvaluator() = default;

FlowGroundEval FlowGroundEvaluator::eval(const std::vector<uint64_t>& inputs) {
  Impl& i = *impl_;
  // Substitute every input by its value and simplify to numerals.
  z3::expr_vector from(i.ctx), to(i.ctx);
  for (ir::SlotId id = 0; id < i.m.slots.size(); ++id) {
    from.push_back(i.t.start[id]);
    to.push_back(i.enc.num(inputs.at(id), i.m.slot(id).width));
  }
  FlowGroundEval out;
  Valuation fin = i.t.final_state();
  for (ir::SlotId id = 0; id < i.m.slots.size(); ++id) {
    z3::expr v = fin[id];
    out.final_state.push_back(Encoder::value_of(v.substitute(from, to).simplify()));
  }
  for (z3::expr b : i.bad) {
    // RESET/INIT values may leave bits free (fresh constants): the state
    // comparison is over defined bits only, so the result is still ground.
    z3::expr r = b.substitute(from, to).simplify();
    if (!r.is_true() && !r.is_false()) throw std::logic_error("flow ground evaluation is not ground: " + r.to_string());
    out.violated.push_back(r.is_true());
  }
  return out;
}

}  // namespace vcpuspec::smt
