#include "z3/encode.hpp"

#include <stdexcept>
#include <unordered_map>

namespace vcpuspec::smt {

bool applies_in(const std::string& check_scope, const std::string& scope) {
  return check_scope == scope || check_scope == "arch";
}

Encoder::Encoder(z3::context& ctx, const ir::Model& model) : ctx_(ctx), model_(model) {}

z3::expr Encoder::config_var(ir::SlotId id) {
  auto it = config_.find(id);
  if (it != config_.end()) return it->second;
  const ir::Slot& s = model_.slot(id);
  z3::expr v = ctx_.bv_const(s.name.c_str(), s.width);
  config_.emplace(id, v);
  return v;
}

z3::expr Encoder::config_axioms() {
  z3::expr all = ctx_.bool_val(true);
  for (ir::SlotId id = 0; id < model_.slots.size(); ++id) {
    const ir::Slot& s = model_.slot(id);
    if (s.kind != ir::SlotKind::Param || !s.range) continue;
    z3::expr v = config_var(id);
    all = all && z3::uge(v, num(s.range->first, s.width)) && z3::ule(v, num(s.range->second, s.width));
  }
  return all;
}

Valuation Encoder::state_vars(const std::string& instance) {
  Valuation out;
  out.reserve(model_.slots.size());
  for (ir::SlotId id = 0; id < model_.slots.size(); ++id) {
    const ir::Slot& s = model_.slot(id);
    if (ir::is_state(s.kind)) out.push_back(ctx_.bv_const((instance + "!" + s.name).c_str(), s.width));
    else out.push_back(config_var(id));
  }
  return out;
}

std::string Encoder::fresh_instance(const std::string& base) { return base + "#" + std::to_string(fresh_++); }

uint64_t Encoder::value_of(const z3::expr& e) {
  uint64_t v = 0;
  if (e.is_numeral_u64(v)) return v;
  if (e.is_bool()) return e.is_true() ? 1 : 0;
  throw std::logic_error("Z3 term is not a numeral: " + e.to_string());
}

// One lowering pass: memoizes shared subterms for one (cur, prev) pair.
struct Encoder::Lowering {
  Encoder& enc;
  const Valuation& cur;
  const Valuation* prev;
  std::unordered_map<const ir::Expr*, z3::expr> bv_cache, pred_cache;

  z3::context& c() { return enc.ctx_; }

  z3::expr var(const ir::Expr& e) {
    const Valuation* v = e.frame == ir::Frame::Prev ? prev : &cur;
    if (!v) throw std::logic_error("Z3 lowering: Frame::Prev read with no previous state");
    return (*v)[e.slot];
  }

  z3::expr as_bv(const z3::expr& b) { return z3::ite(b, c().bv_val(1, 1), c().bv_val(0, 1)); }

  z3::expr bv(const ir::Expr& e) {
    auto it = bv_cache.find(&e);
    if (it != bv_cache.end()) return it->second;
    z3::expr r = bv_uncached(e);
    bv_cache.emplace(&e, r);
    return r;
  }

  z3::expr pred(const ir::Expr& e) {
    auto it = pred_cache.find(&e);
    if (it != pred_cache.end()) return it->second;
    z3::expr r = pred_uncached(e);
    pred_cache.emplace(&e, r);
    return r;
  }

  // A shift by an amount of any width: widen both to the wider width, shift,
  // keep the low bits. Amounts >= the value's width give 0, as ir::evaluate.
  z3::expr shift(const ir::Expr& e, bool left) {
    z3::expr a = bv(*e.args[0]);
    z3::expr n = bv(*e.args[1]);
    unsigned wa = e.args[0]->width, wn = e.args[1]->width, w = std::max(wa, wn);
    if (wa < w) a = z3::zext(a, w - wa);
    if (wn < w) n = z3::zext(n, w - wn);
    z3::expr r = left ? z3::shl(a, n) : z3::lshr(a, n);
    return wa < w ? r.extract(wa - 1, 0) : r;
  }

  z3::expr bv_uncached(const ir::Expr& e) {
    using ir::Op;
    switch (e.op) {
      case Op::Const: return enc.num(e.value, e.width);
      case Op::Var: return var(e);
      case Op::Arg: throw std::logic_error("Z3 lowering: unbound def parameter");
      case Op::Extract: return bv(*e.args[0]).extract(e.hi, e.lo);
      case Op::BNot: return ~bv(*e.args[0]);
      case Op::Neg: return -bv(*e.args[0]);
      case Op::BAnd: return bv(*e.args[0]) & bv(*e.args[1]);
      case Op::BOr: return bv(*e.args[0]) | bv(*e.args[1]);
      case Op::BXor: return bv(*e.args[0]) ^ bv(*e.args[1]);
      case Op::Add: return bv(*e.args[0]) + bv(*e.args[1]);
      case Op::Sub: return bv(*e.args[0]) - bv(*e.args[1]);
      case Op::Shl: return shift(e, true);
      case Op::Lshr: return shift(e, false);
      case Op::Ite: return z3::ite(pred(*e.args[0]), bv(*e.args[1]), bv(*e.args[2]));
      case Op::Sext: return z3::sext(bv(*e.args[0]), e.width - e.args[0]->width);
      case Op::Zext: return z3::zext(bv(*e.args[0]), e.width - e.args[0]->width);
      case Op::Call: return bv(*e.body);
      case Op::LNot: case Op::LAnd: case Op::LOr: case Op::Implies:
      case Op::Eq: case Op::Ne: case Op::Ult: case Op::Ule: case Op::Ugt: case Op::Uge: case Op::In:
      case Op::Legal: case Op::After:
        return as_bv(pred(e));
    }
    throw std::logic_error("Z3 lowering: unknown op");
  }

  z3::expr pred_uncached(const ir::Expr& e) {
    using ir::Op;
    if (e.width != 1) throw std::logic_error("Z3 lowering: predicate of a multi-bit value");
    switch (e.op) {
      case Op::Const: return c().bool_val(e.value != 0);
      case Op::LNot: return !pred(*e.args[0]);
      case Op::LAnd: return pred(*e.args[0]) && pred(*e.args[1]);
      case Op::LOr: return pred(*e.args[0]) || pred(*e.args[1]);
      case Op::Implies: return z3::implies(pred(*e.args[0]), pred(*e.args[1]));
      case Op::Eq: return bv(*e.args[0]) == bv(*e.args[1]);
      case Op::Ne: return bv(*e.args[0]) != bv(*e.args[1]);
      case Op::Ult: return z3::ult(bv(*e.args[0]), bv(*e.args[1]));
      case Op::Ule: return z3::ule(bv(*e.args[0]), bv(*e.args[1]));
      case Op::Ugt: return z3::ugt(bv(*e.args[0]), bv(*e.args[1]));
      case Op::Uge: return z3::uge(bv(*e.args[0]), bv(*e.args[1]));
      case Op::In: {
        z3::expr v = bv(*e.args[0]);
        z3::expr any = c().bool_val(false);
        for (size_t i = 1; i < e.args.size(); ++i) any = any || v == bv(*e.args[i]);
        return any;
      }
      case Op::Ite: return z3::ite(pred(*e.args[0]), pred(*e.args[1]), pred(*e.args[2]));
      case Op::Call: return pred(*e.body);
      case Op::Legal: return enc.legal(cur, "arch");
      case Op::After: {
        // Some legal state `before` that the state def turns into this one.
        std::string instance = enc.fresh_instance("after_" + e.state->name);
        Valuation before = enc.state_vars(instance);
        Valuation left = enc.apply_state(*e.state, &before, instance + "_left");
        z3::expr same = enc.legal(before, "arch");
        for (ir::SlotId id = 0; id < enc.model_.slots.size(); ++id)
          if (ir::is_state(enc.model_.slot(id).kind)) same = same && cur[id] == left[id];
        return same;
      }
      default: return bv(e) == c().bv_val(1, 1);
    }
  }
};

z3::expr Encoder::bv(const ir::Expr& e, const Valuation& cur, const Valuation* prev) {
  Lowering l{*this, cur, prev, {}, {}};
  return l.bv(e);
}

z3::expr Encoder::pred(const ir::Expr& e, const Valuation& cur, const Valuation* prev) {
  Lowering l{*this, cur, prev, {}, {}};
  return l.pred(e);
}

z3::expr Encoder::holds(const ir::Check& c, const Valuation& s) {
  Lowering l{*this, s, nullptr, {}, {}};
  z3::expr a = l.pred(*c.assertion);
  return c.when ? z3::implies(l.pred(*c.when), a) : a;
}

z3::expr Encoder::legal(const Valuation& s, const std::string& scope) {
  z3::expr all = ctx_.bool_val(true);
  for (const ir::Check& c : model_.checks)
    if (applies_in(c.scope, scope)) all = all && holds(c, s);
  return all;
}

Valuation Encoder::apply_state(const ir::StateDef& def, const Valuation* prev, const std::string& instance) {
  Valuation out;
  out.reserve(model_.slots.size());
  Valuation cur_config;  // pieces read configuration through Frame::Cur
  for (ir::SlotId id = 0; id < model_.slots.size(); ++id) {
    const ir::Slot& s = model_.slot(id);
    cur_config.push_back(ir::is_state(s.kind) ? num(0, s.width) : config_var(id));
  }
  Lowering l{*this, cur_config, prev, {}, {}};
  for (ir::SlotId id = 0; id < model_.slots.size(); ++id) {
    const ir::Slot& s = model_.slot(id);
    if (!ir::is_state(s.kind)) {
      out.push_back(config_var(id));
      continue;
    }
    const auto& init = def.init[id];
    // Assemble the slot from its pieces, high bits first; gaps are fresh.
    std::vector<z3::expr> parts;
    int next = static_cast<int>(s.width) - 1;
    auto gap = [&](int hi, int lo) {
      std::string n = instance + "!" + s.name + "[" + std::to_string(hi) + ":" + std::to_string(lo) + "]";
      parts.push_back(ctx_.bv_const(n.c_str(), static_cast<unsigned>(hi - lo + 1)));
    };
    if (init) {
      for (const ir::Piece& p : init->pieces) {
        if (static_cast<int>(p.hi) < next) gap(next, static_cast<int>(p.hi) + 1);
        parts.push_back(l.bv(*p.value));
        next = static_cast<int>(p.lo) - 1;
      }
    }
    if (next >= 0) gap(next, 0);
    z3::expr v = parts[0];
    for (size_t i = 1; i < parts.size(); ++i) v = z3::concat(v, parts[i]);
    out.push_back(v);
  }
  return out;
}

z3::expr splice(const z3::expr& old, const z3::expr& v, unsigned hi, unsigned lo, unsigned width) {
  if (hi - lo + 1 == width) return v;
  z3::expr r = v;
  if (hi + 1 < width) r = z3::concat(old.extract(width - 1, hi + 1), r);
  if (lo > 0) r = z3::concat(r, old.extract(lo - 1, 0));
  return r;
}

}  // namespace vcpuspec::smt
