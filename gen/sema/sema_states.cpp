// States: RESET and INIT(prev). Each state slot gets pieces (bits hi:lo = an
// expression); `like` inherits, later items override inherited bits, and a
// state must say something about every state slot.
#include <algorithm>

#include "sema/sema_impl.hpp"

namespace vcpuspec::sema {

namespace {

std::string bits_text(uint64_t mask) {
  // Lists maximal runs of set bits, high to low: "63:32, 28:19".
  std::string out;
  int bit = 63;
  while (bit >= 0) {
    if (!((mask >> bit) & 1)) { --bit; continue; }
    int hi = bit;
    while (bit >= 0 && ((mask >> bit) & 1)) --bit;
    int lo = bit + 1;
    out += (out.empty() ? "" : ", ") + (hi == lo ? std::to_string(hi) : std::to_string(hi) + ":" + std::to_string(lo));
  }
  return out;
}

// Removes bits `mask` from the inherited pieces of `init`, splitting pieces
// that are only partly overridden.
void drop_bits(ir::SlotInit& init, uint64_t mask) {
  std::vector<ir::Piece> kept;
  for (ir::Piece& p : init.pieces) {
    uint64_t left = p.mask() & ~mask;
    if (left == p.mask()) { kept.push_back(p); continue; }
    // Keep each maximal run of surviving bits as its own piece.
    int bit = static_cast<int>(p.hi);
    while (bit >= static_cast<int>(p.lo)) {
      if (!((left >> bit) & 1)) { --bit; continue; }
      unsigned hi = static_cast<unsigned>(bit);
      while (bit >= static_cast<int>(p.lo) && ((left >> bit) & 1)) --bit;
      unsigned lo = static_cast<unsigned>(bit + 1);
      ir::Piece q = p;
      q.hi = hi;
      q.lo = lo;
      q.value = ir::make_extract(p.value, hi - p.lo, lo - p.lo);
      kept.push_back(std::move(q));
    }
  }
  init.pieces = std::move(kept);
}

void sort_pieces(ir::SlotInit& init) {
  std::sort(init.pieces.begin(), init.pieces.end(), [](const ir::Piece& a, const ir::Piece& b) { return a.hi > b.hi; });
}

// Whether `e` reads slot `id` of the current frame.
bool reads_state_now(const ir::Expr& e, ir::SlotId id) {
  if (e.op == ir::Op::Var) return e.slot == id && e.frame == ir::Frame::Cur;
  if (e.op == ir::Op::Call) return reads_state_now(*e.body, id);
  for (const ir::ExprPtr& a : e.args)
    if (reads_state_now(*a, id)) return true;
  return false;
}

}  // namespace

ast::QName member_qname(const ir::Group& g, const ast::MemberInit& mi) {
  ast::QName full = mi.member;
  full.parts.insert(full.parts.begin(), g.name);
  full.part_locs.insert(full.part_locs.begin(), mi.member.loc);
  full.loc = mi.member.loc;
  return full;
}

std::optional<LValue> Analyzer::resolve_lvalue(const ast::QName& q, bool allow_group) {
  std::string full = q.str();
  for (size_t k = q.parts.size(); k >= 1; --k) {
    std::string name;
    for (size_t i = 0; i < k; ++i) name += (i ? "." : "") + q.parts[i];
    auto id = model_->find_slot(name);
    if (!id) continue;
    const ir::Slot& s = model_->slot(*id);
    if (lvalue_in_flow_ ? !ir::is_flow_state(s.kind) : !ir::is_state(s.kind)) {
      diags_.error(q.loc, "'" + name + "' is a " + ir::slot_kind_name(s.kind) +
                              (lvalue_in_flow_ ? ", an input of the flow: ops cannot assign it"
                                               : ", not vCPU state: states cannot assign it"));
      return std::nullopt;
    }
    if (k == q.parts.size()) return LValue{*id, s.width - 1, 0, name};
    if (k + 1 < q.parts.size()) {
      diags_.error(q.part_locs[k + 1], "'" + name + "." + q.parts[k] + "' is a bitfield; it has no '" +
                                           q.parts[k + 1] + "'");
      return std::nullopt;
    }
    const ir::BitField* f = s.field(q.parts[k]);
    if (!f) {
      std::vector<std::string> names;
      for (const ir::BitField& bf : s.fields) names.push_back(bf.name);
      diags_.error(q.part_locs[k], std::string(ir::slot_kind_name(s.kind)) + " '" + name + "' has no field '" +
                                       q.parts[k] + "'" + suggest(q.parts[k], names));
      return std::nullopt;
    }
    return LValue{*id, f->hi, f->lo, full};
  }
  if (const ir::Group* g = model_->find_group(full)) {
    if (allow_group) return LValue{g->members.front(), 0, 0, full, g};
    diags_.error(q.loc, "'" + full + "' is a segment or descriptor table; assign its members with " + full +
                            " = { sel ..., base ... }");
    return std::nullopt;
  }
  if (q.parts[0] == "prev" || q.parts.size() > 1) {
    // `prev.X = ...`, or a dotted name that is no slot
  }
  diags_.error(q.loc, "unknown state field '" + full + "'" + suggest(full, all_names()));
  return std::nullopt;
}

void Analyzer::analyze_states() {
  for (const ast::SpecFile& f : files_) {
    for (const ast::StateDecl& s : f.states) {
      if (!claim_name(s.name, s.loc, "state")) continue;
      state_decls_[s.name] = &s;
    }
  }
  std::set<std::string> visiting;
  for (const ast::SpecFile& f : files_)
    for (const ast::StateDecl& s : f.states)
      if (state_decls_.count(s.name) && state_decls_[s.name] == &s) analyze_state(s, visiting);
  // Keep the model's states in declaration order, whatever order `like` forced.
  std::vector<ir::StateDef> ordered;
  for (const ast::SpecFile& f : files_)
    for (const ast::StateDecl& s : f.states)
      if (auto it = state_index_.find(s.name); it != state_index_.end() && state_decls_[s.name] == &s)
        ordered.push_back(model_->states[it->second]);
  model_->states = std::move(ordered);
}

void Analyzer::analyze_state(const ast::StateDecl& s, std::set<std::string>& visiting) {
  if (state_index_.count(s.name)) return;
  if (!visiting.insert(s.name).second) {
    diags_.error(s.loc, "state '" + s.name + "' inherits from itself through `like`");
    // Every state on the cycle is broken; report the cycle once.
    for (const std::string& v : visiting) cyclic_states_.insert(v);
    return;
  }
  ir::StateDef st;
  st.name = s.name;
  st.prev_name = s.prev_name;
  st.doc = s.doc;
  st.loc = s.loc;
  st.cite = join(s.cites);
  st.sources = sources_of(s.cites);
  if (s.cites.empty())
    diags_.error(s.loc, "state '" + s.name + "' has no citation: add `cite sdm \"Table 9-1\" vol 3` or another after its name");
  st.init.resize(model_->slots.size());
  // Bits this state's own items assigned, per slot, with where.
  std::vector<std::vector<std::pair<uint64_t, Loc>>> own(model_->slots.size());
  // Slots some item named, even if the item had an error: no second
  // "does not define" error for them.
  std::vector<bool> named(model_->slots.size(), false);
  bool like_failed = false;
  Scope scope;
  scope.prev_name = s.prev_name;
  if (s.prev_name && s.prev_name->find('.') != std::string::npos) {
    diags_.error(s.prev_loc, "previous-state name must be a plain identifier");
  }
  analyze_for_state(s, st, visiting);

  // Classified bits: an item that sets bits replaces what an inherited
  // classification said of them, and adds its own `differs`.
  auto classify = [&](ir::SlotId slot, uint64_t mask, const ast::StateItem& item) {
    for (ir::Classified& c : st.classified)
      if (c.slot == slot) c.mask &= ~mask;
    std::erase_if(st.classified, [](const ir::Classified& c) { return c.mask == 0; });
    if (!item.differs) return;
    auto kind = ir::parse_differs_kind(item.differs->kind.value);
    if (!kind) return;  // reported once per item below
    st.classified.push_back(ir::Classified{slot, mask, *kind, item.differs->why, join(item.cites), item.loc});
  };

  auto add_piece = [&](const LValue& lv, ir::ExprPtr value, const std::vector<ast::Text>& cites, Loc loc) {
    const ir::Slot& slot = model_->slot(lv.slot);
    named[lv.slot] = true;
    // A state is a function of configuration and the previous state only.
    std::vector<ir::SlotId> reads;
    ir::collect_reads(*value, reads);
    for (ir::SlotId r : reads) {
      if (ir::is_state(model_->slot(r).kind) && ir::reads_frame(*value, ir::Frame::Cur) &&
          reads_state_now(*value, r)) {
        diags_.error(loc, "the value of " + slot.name + " reads '" + model_->slot(r).name +
                              "' of the state being defined; a state can read configuration and " +
                              (s.prev_name ? "'" + *s.prev_name + "." + model_->slot(r).name + "'" : "a previous state"));
        return;
      }
    }
    uint64_t mask = ir::range_mask(lv.hi, lv.lo);
    for (auto& [m, where] : own[lv.slot]) {
      if (m & mask) {
        bool one = __builtin_popcountll(m & mask) == 1;
        diags_.error(loc, (one ? "bit " : "bits ") + bits_text(m & mask) + " of " + slot.name +
                              (one ? " is" : " are") + " already set by this state at line " +
                              std::to_string(where.line));
        return;
      }
    }
    own[lv.slot].emplace_back(mask, loc);
    // Constant values must respect reserved (must-be-0) and fixed-1 bits.
    if (auto v = ir::fold(*value)) {
      uint64_t placed = (*v << lv.lo) & mask;
      if (uint64_t bad = placed & slot.reserved_mask) {
        diags_.error(loc, "assigns 1 to reserved bit" + std::string(__builtin_popcountll(bad) > 1 ? "s " : " ") +
                              bits_text(bad) + " of " + slot.name + " (value " +
                              ir::format_value(*v, value->width) + ")");
        return;
      }
      if (uint64_t bad = ~placed & slot.fixed1_mask & mask) {
        diags_.error(loc, "assigns 0 to fixed-1 bit" + std::string(__builtin_popcountll(bad) > 1 ? "s " : " ") +
                              bits_text(bad) + " of " + slot.name + " (value " +
                              ir::format_value(*v, value->width) + ")");
        return;
      }
    }
    if (!st.init[lv.slot]) st.init[lv.slot] = ir::SlotInit{};
    ir::SlotInit& init = *st.init[lv.slot];
    drop_bits(init, mask);
    init.pieces.push_back(ir::Piece{lv.hi, lv.lo, std::move(value), join(cites), loc});
    sort_pieces(init);
  };

  for (size_t i = 0; i < s.items.size(); ++i) {
    const ast::StateItem& item = s.items[i];
    check_differs(s, item);
    switch (item.kind) {
      case ast::StateItem::Kind::Like: {
        if (i != 0) {
          diags_.error(item.loc, "`like` must be the first item of a state");
          like_failed = true;
          break;
        }
        auto it = state_decls_.find(item.like_name);
        if (it == state_decls_.end()) {
          std::vector<std::string> names;
          for (auto& [n, _] : state_decls_) names.push_back(n);
          diags_.error(item.loc, "unknown state '" + item.like_name + "'" + suggest(item.like_name, names));
          like_failed = true;
          break;
        }
        analyze_state(*it->second, visiting);
        auto idx = state_index_.find(item.like_name);
        if (idx == state_index_.end() || cyclic_states_.count(item.like_name)) {  // the base had errors, or a cycle
          like_failed = true;
          break;
        }
        const ir::StateDef& base = model_->states[idx->second];
        if (base.parametric()) {
          diags_.error(item.loc, "`like " + item.like_name + "`: a state can only be like a non-parametric state");
          like_failed = true;
          break;
        }
        st.init = base.init;
        st.classified = base.classified;
        for (ir::Classified& c : st.classified) c.inherited = true;
        break;
      }
      case ast::StateItem::Kind::Keep:
      case ast::StateItem::Kind::Unspecified: {
        bool keep = item.kind == ast::StateItem::Kind::Keep;
        if (keep && !s.prev_name) {
          diags_.error(item.loc, "`keep` needs a previous state: declare it as `state " + s.name + "(prev)`");
          for (const ast::QName& q : item.targets)
            if (auto lv = resolve_lvalue(q, true)) named[lv->slot] = true;
          break;
        }
        for (const ast::QName& q : item.targets) {
          auto lv = resolve_lvalue(q, true);
          if (!lv) continue;
          named[lv->slot] = true;
          std::vector<LValue> targets;
          if (lv->group) {
            for (ir::SlotId m : lv->group->members) targets.push_back(LValue{m, model_->slot(m).width - 1, 0, ""});
          } else {
            targets.push_back(*lv);
          }
          for (const LValue& t : targets) {
            if (keep) {
              ir::ExprPtr prev = ir::make_var(t.slot, model_->slot(t.slot).width, ir::Frame::Prev);
              add_piece(t, ir::make_extract(prev, t.hi, t.lo), item.cites, q.loc);
            } else {
              if (!st.init[t.slot]) st.init[t.slot] = ir::SlotInit{};
              drop_bits(*st.init[t.slot], ir::range_mask(t.hi, t.lo));
              st.init[t.slot]->unspecified = true;
            }
            classify(t.slot, ir::range_mask(t.hi, t.lo), item);
          }
        }
        break;
      }
      case ast::StateItem::Kind::Assign: {
        auto lv = resolve_lvalue(item.targets[0], false);
        if (!lv) {
          type(*item.value, std::nullopt, scope);
          break;
        }
        named[lv->slot] = true;
        unsigned w = lv->hi - lv->lo + 1;
        ir::ExprPtr v = type(*item.value, w, scope);
        if (!v) break;
        if (v->width != w) {
          diags_.error(item.value->loc, "width mismatch: '" + item.targets[0].str() + "' is " + std::to_string(w) +
                                            " bits but " + describe(*item.value) + " is " + std::to_string(v->width) +
                                            " bits");
          break;
        }
        add_piece(*lv, v, item.cites, item.loc);
        classify(lv->slot, ir::range_mask(lv->hi, lv->lo), item);
        break;
      }
      case ast::StateItem::Kind::StructAssign: {
        const ast::QName& q = item.targets[0];
        const ir::Group* group = model_->find_group(q.str());
        if (!group) {
          diags_.error(q.loc, "'" + q.str() + "' is not a segment or descriptor table; `= { ... }` assigns those");
          break;
        }
        for (const ast::MemberInit& mi : item.members) {
          ast::QName full = member_qname(*group, mi);
          auto lv = resolve_lvalue(full, false);
          if (!lv) continue;
          named[lv->slot] = true;
          unsigned w = lv->hi - lv->lo + 1;
          ir::ExprPtr v = type(*mi.value, w, scope);
          if (!v) continue;
          if (v->width != w) {
            diags_.error(mi.value->loc, "width mismatch: '" + full.str() + "' is " + std::to_string(w) +
                                            " bits but " + describe(*mi.value) + " is " + std::to_string(v->width) +
                                            " bits");
            continue;
          }
          add_piece(*lv, v, item.cites, mi.member.loc);
          classify(lv->slot, ir::range_mask(lv->hi, lv->lo), item);
        }
        break;
      }
    }
  }
  // Bits left free that are reserved (must be 0) or fixed to 1 take that
  // value: no state of any CPU has them otherwise.
  for (ir::SlotId id = 0; id < model_->slots.size(); ++id) {
    const ir::Slot& slot = model_->slot(id);
    auto& init = st.init[id];
    if (!ir::is_state(slot.kind) || !init) continue;
    uint64_t free = ~init->care_mask() & ir::mask_of(slot.width);
    for (uint64_t fixed : {free & slot.reserved_mask, free & slot.fixed1_mask}) {
      for (int bit = 63; bit >= 0;) {
        if (!((fixed >> bit) & 1)) { --bit; continue; }
        unsigned hi = static_cast<unsigned>(bit);
        while (bit >= 0 && ((fixed >> bit) & 1)) --bit;
        unsigned lo = static_cast<unsigned>(bit + 1);
        uint64_t ones = (slot.fixed1_mask >> lo) & ir::mask_of(hi - lo + 1);
        init->pieces.push_back(ir::Piece{hi, lo, ir::make_const(ones, hi - lo + 1), "reserved bits", slot.loc, true});
      }
    }
    sort_pieces(*init);
  }
  // Completeness: every vCPU state slot is defined, kept, or declared free.
  std::vector<std::string> missing;
  for (ir::SlotId id = 0; id < model_->slots.size(); ++id) {
    if (!ir::is_state(model_->slot(id).kind)) continue;
    const auto& init = st.init[id];
    if (named[id]) continue;
    if (!init || (init->pieces.empty() && !init->unspecified)) missing.push_back(model_->slot(id).name);
  }
  if (!missing.empty() && !like_failed) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 12; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 12) list += ", ... (" + std::to_string(missing.size()) + " in all)";
    diags_.error(s.loc, "state '" + s.name + "' does not define " + list +
                            ": assign, keep or mark each as `unspecified`");
  }
  visiting.erase(s.name);
  state_index_[s.name] = model_->states.size();
  model_->states.push_back(std::move(st));
}

// `state qemu.RESET for RESET`: the VMM's state names the architectural
// state it is compared with, and the VMM by its name's first part.
void Analyzer::analyze_for_state(const ast::StateDecl& s, ir::StateDef& st, std::set<std::string>& visiting) {
  size_t dot = s.name.find('.');
  if (!s.for_state) {
    if (dot != std::string::npos)
      diags_.error(s.loc, "state '" + s.name + "': a dotted name is a VMM's state; say which state it is for: `state " +
                              s.name + (s.prev_name ? "(" + *s.prev_name + ")" : "") + " for " +
                              (s.prev_name ? "INIT" : "RESET") + "`");
    return;
  }
  const std::string& target = s.for_state->value;
  if (dot == std::string::npos || dot == 0) {
    diags_.error(s.loc, "state '" + s.name + "' is for " + target + ", so it is a VMM's: name it after the VMM, as in `state qemu." +
                            s.name + " for " + target + "`");
    return;
  }
  st.vmm = s.name.substr(0, dot);
  auto it = state_decls_.find(target);
  if (it == state_decls_.end()) {
    std::vector<std::string> names;
    for (auto& [n, d] : state_decls_)
      if (!d->for_state) names.push_back(n);
    diags_.error(s.for_state->loc, "unknown state '" + target + "'" + suggest(target, names));
    return;
  }
  if (it->second->for_state) {
    diags_.error(s.for_state->loc, "state '" + target + "' is itself a VMM's state (for " + it->second->for_state->value +
                                       "); a VMM's state is for an architectural one");
    return;
  }
  if (it->second->prev_name.has_value() != s.prev_name.has_value()) {
    diags_.error(s.for_state->loc, "state '" + s.name + "' is for " + target + ", which " +
                                       (s.prev_name ? "takes no previous state: drop (" + *s.prev_name + ")"
                                                    : "takes a previous state: declare it as `state " + s.name +
                                                          "(" + *it->second->prev_name + ")`"));
    return;
  }
  analyze_state(*it->second, visiting);
  st.for_state = target;
}

void Analyzer::check_differs(const ast::StateDecl& s, const ast::StateItem& item) {
  if (!item.differs) return;
  const ast::Text& kind = item.differs->kind;
  if (!s.for_state) {
    diags_.error(kind.loc, "`differs` classifies how a VMM's state departs from the state it is for; state '" + s.name +
                               "' is for none (`state qemu.RESET for RESET`)");
    return;
  }
  if (!ir::parse_differs_kind(kind.value)) {
    std::vector<std::string> names;
    for (auto k : {ir::DiffersKind::Intentional, ir::DiffersKind::Harmless, ir::DiffersKind::Discrepancy,
                   ir::DiffersKind::ImplementationDefined, ir::DiffersKind::Unknown})
      names.push_back(ir::differs_kind_name(k));
    diags_.error(kind.loc, "unknown kind of difference '" + kind.value + "'" + suggest(kind.value, names) +
                               ": intentional, harmless, discrepancy, implementation_defined or unknown");
    return;
  }
  if (item.differs->why.empty())
    diags_.error(kind.loc, "`differs " + kind.value + "` needs its reason: differs " + kind.value + " \"why\"");
  if (kind.value == "intentional" && item.cites.empty())
    diags_.error(kind.loc, "`differs intentional` cites where the VMM says so: add `cite ...` naming its comment or commit");
}

}  // namespace vcpuspec::sema
