// Declarations: registers, MSRs, segments, descriptor tables and
// configuration become slots; bitfields are laid out and checked.
#include <algorithm>

#include "sema/sema_impl.hpp"

namespace vcpuspec::sema {

namespace {

std::string range_text(unsigned hi, unsigned lo) {
  return hi == lo ? std::to_string(hi) : std::to_string(hi) + ":" + std::to_string(lo);
}

// Bits that two ranges share, as text ("5:3").
std::string overlap_text(uint64_t both) {
  unsigned hi = 63 - static_cast<unsigned>(__builtin_clzll(both));
  unsigned lo = static_cast<unsigned>(__builtin_ctzll(both));
  return range_text(hi, lo);
}

unsigned bits_for(uint64_t max) {
  unsigned w = 1;
  while (w < 64 && (max >> w) != 0) ++w;
  return w;
}

}  // namespace

Analyzer::Analyzer(const std::vector<ast::SpecFile>& files, Diagnostics& diags)
    : files_(files), diags_(diags), model_(std::make_unique<ir::Model>()) {}

bool Analyzer::claim_name(const std::string& name, Loc loc, const char* what) {
  auto [it, fresh] = names_.emplace(name, loc);
  if (!fresh) {
    diags_.error(loc, std::string("duplicate ") + what + " '" + name + "' (first declared at line " +
                          std::to_string(it->second.line) + ")");
    return false;
  }
  return true;
}

std::optional<unsigned> Analyzer::width_of(const ast::Int& w, const char* what) {
  if (w.overflow || w.value < 1 || w.value > 64) {
    diags_.error(w.loc, std::string(what) + " width must be between 1 and 64 bits, not " + w.text);
    return std::nullopt;
  }
  return static_cast<unsigned>(w.value);
}

void Analyzer::layout_fields(ir::Slot& slot, const std::vector<ast::FieldItem>& items) {
  // Which bits each named field, reserved range or fixed-1 range claims, for overlap errors.
  struct Claim {
    uint64_t mask;
    std::string what;
  };
  std::vector<Claim> claims;
  std::set<std::string> seen;
  for (const ast::FieldItem& it : items) {
    for (const ast::BitRange& r : it.ranges) {
      if (r.hi.overflow || r.lo.overflow || r.hi.value >= slot.width || r.lo.value >= slot.width) {
        diags_.error(r.loc, "bit range " + r.hi.text + (r.hi.loc.col != r.lo.loc.col ? ":" + r.lo.text : "") +
                                " is outside " + std::to_string(slot.width) + "-bit " + slot.name + " (bits " +
                                std::to_string(slot.width - 1) + ":0)");
        continue;
      }
      unsigned hi = static_cast<unsigned>(r.hi.value), lo = static_cast<unsigned>(r.lo.value);
      if (hi < lo) {
        diags_.error(r.loc, "bit range " + r.hi.text + ":" + r.lo.text + " is backwards: write the high bit first (" +
                                r.lo.text + ":" + r.hi.text + ")");
        continue;
      }
      uint64_t mask = ir::range_mask(hi, lo);
      std::string what;
      switch (it.kind) {
        case ast::FieldItem::Kind::Named: case ast::FieldItem::Kind::Alias:
          what = "field '" + it.name + "' (" + range_text(hi, lo) + ")";
          break;
        case ast::FieldItem::Kind::Reserved: what = "reserved bits " + range_text(hi, lo); break;
        case ast::FieldItem::Kind::Fixed1: what = "fixed-1 bits " + range_text(hi, lo); break;
      }
      if (it.kind != ast::FieldItem::Kind::Alias) {
        for (const Claim& c : claims) {
          if (c.mask & mask) {
            diags_.error(r.loc, (__builtin_popcountll(c.mask & mask) == 1 ? "bit " : "bits ") +
                                    overlap_text(c.mask & mask) + " of " + slot.name + ": " + what + " overlaps " + c.what);
            break;
          }
        }
        claims.push_back(Claim{mask, what});
      }
      switch (it.kind) {
        case ast::FieldItem::Kind::Named: case ast::FieldItem::Kind::Alias: {
          if (!seen.insert(it.name).second) {
            diags_.error(it.loc, "duplicate field '" + it.name + "' in " + slot.name);
            break;
          }
          ir::BitField f;
          f.name = it.name;
          f.hi = hi;
          f.lo = lo;
          f.alias = it.kind == ast::FieldItem::Kind::Alias;
          f.doc = it.doc;
          f.loc = it.loc;
          slot.fields.push_back(std::move(f));
          break;
        }
        case ast::FieldItem::Kind::Reserved: slot.reserved_mask |= mask; break;
        case ast::FieldItem::Kind::Fixed1: slot.fixed1_mask |= mask; break;
      }
    }
  }
}

void Analyzer::declare_register(const ast::RegisterDecl& r) {
  std::string name = r.name.str();
  if (!claim_name(name, r.name.loc, r.is_msr ? "msr" : "register")) return;
  auto width = width_of(r.width, r.is_msr ? "msr" : "register");
  if (!width) return;
  ir::Slot s;
  s.name = name;
  s.width = *width;
  s.kind = r.is_msr ? ir::SlotKind::Msr : ir::SlotKind::Register;
  s.doc = r.doc;
  s.loc = r.name.loc;
  if (r.msr_index) {
    if (r.msr_index->overflow || r.msr_index->value > 0xFFFFFFFFULL) {
      diags_.error(r.msr_index->loc, "MSR index " + r.msr_index->text + " does not fit in 32 bits");
    } else {
      s.msr_index = static_cast<uint32_t>(r.msr_index->value);
      for (const ir::Slot& other : model_->slots) {
        if (other.msr_index == s.msr_index) {
          diags_.error(r.msr_index->loc, "MSR index " + r.msr_index->text + " is already used by " + other.name);
          break;
        }
      }
    }
  }
  layout_fields(s, r.fields);
  model_->slot_by_name[name] = static_cast<ir::SlotId>(model_->slots.size());
  model_->slots.push_back(std::move(s));
}

void Analyzer::declare_group(const ast::GroupDecl& g,
                             const std::map<std::string, const ast::StructDecl*>& structs) {
  auto it = structs.find(g.struct_name);
  if (it == structs.end()) {
    std::vector<std::string> names;
    for (auto& [n, _] : structs) names.push_back(n);
    diags_.error(g.struct_loc, "unknown struct '" + g.struct_name + "'" + suggest(g.struct_name, names));
    return;
  }
  const ast::StructDecl& st = *it->second;
  ir::SlotKind kind = g.kind == ast::GroupDecl::Kind::Segment ? ir::SlotKind::SegmentMember
                                                              : ir::SlotKind::DtableMember;
  for (const ast::QName& q : g.names) {
    std::string gname = q.str();
    if (!claim_name(gname, q.loc, g.kind == ast::GroupDecl::Kind::Segment ? "segment" : "dtable")) continue;
    ir::Group group{gname, kind, {}, g.struct_name};
    for (const ast::MemberDecl& m : st.members) {
      auto width = width_of(m.width, "struct member");
      if (!width) continue;
      ir::Slot s;
      s.name = gname + "." + m.name;
      s.width = *width;
      s.kind = kind;
      s.group = gname;
      s.member = m.name;
      s.doc = m.doc;
      s.loc = q.loc;
      layout_fields(s, m.fields);
      names_.emplace(s.name, q.loc);
      group.members.push_back(static_cast<ir::SlotId>(model_->slots.size()));
      model_->slot_by_name[s.name] = group.members.back();
      model_->slots.push_back(std::move(s));
    }
    model_->groups.push_back(std::move(group));
  }
}

std::optional<uint64_t> Analyzer::default_of(const ast::ExprPtr& def, unsigned width, const std::string& name) {
  if (!def) return std::nullopt;
  Scope scope;
  ir::ExprPtr e = type(*def, width, scope);
  if (!e) return std::nullopt;
  auto v = ir::fold(*e);
  if (!v) {
    diags_.error(def->loc, "default of '" + name + "' must be a constant");
    return std::nullopt;
  }
  return v;
}

void Analyzer::declare_param(const ast::ParamDecl& p) {
  std::string name = p.name.str();
  if (!claim_name(name, p.name.loc, "param")) return;
  ir::Slot s;
  s.name = name;
  s.kind = ir::SlotKind::Param;
  s.doc = p.doc;
  s.loc = p.name.loc;
  if (p.ranged) {
    if (p.lo.overflow || p.hi.overflow || p.lo.value > p.hi.value) {
      diags_.error(p.lo.loc, "param range " + p.lo.text + ".." + p.hi.text + " is empty or too large");
      return;
    }
    s.range = std::make_pair(p.lo.value, p.hi.value);
    s.width = bits_for(p.hi.value);
  } else {
    auto w = width_of(p.width, "param");
    if (!w) return;
    s.width = *w;
  }
  // A ranged param's default is checked against the range, not the width.
  s.default_value = default_of(p.def, s.range ? 64 : s.width, name);
  if (s.default_value && s.range && (*s.default_value < s.range->first || *s.default_value > s.range->second)) {
    diags_.error(p.def->loc, "default " + std::to_string(*s.default_value) + " of '" + name +
                                 "' is outside its range " + p.lo.text + ".." + p.hi.text);
    s.default_value.reset();
  }
  model_->slot_by_name[name] = static_cast<ir::SlotId>(model_->slots.size());
  model_->slots.push_back(std::move(s));
}

void Analyzer::declare_feature(const ast::FeatureDecl& f) {
  std::string name = f.name.str();
  if (!claim_name(name, f.name.loc, "feature")) return;
  ir::Slot s;
  s.name = name;
  s.kind = ir::SlotKind::Feature;
  s.width = 1;
  s.doc = f.doc;
  s.loc = f.name.loc;
  s.default_value = default_of(f.def, 1, name);
  model_->slot_by_name[name] = static_cast<ir::SlotId>(model_->slots.size());
  model_->slots.push_back(std::move(s));
}

void Analyzer::declare_control_word(const ast::ControlWordDecl& w) {
  const std::string key = w.key();
  if (!w.name.parts.empty() && !claim_name(key, w.name.loc, "control word")) return;
  auto width = width_of(w.width, "control word");
  if (!width) return;
  ir::ControlWord cw;
  cw.name = w.name.str();
  cw.width = *width;
  cw.doc = w.doc;
  cw.loc = w.loc;
  if (w.offset) {
    if (w.offset->overflow || w.offset->value > 0xFFF || w.offset->value % 4) {
      diags_.error(w.offset->loc, "VMCB offset " + w.offset->text + " is not a 4-byte-aligned offset of the control area (below 0x1000)");
      return;
    }
    for (const ir::ControlWord& other : model_->control_words)
      if (other.offset == static_cast<int>(w.offset->value)) {
        diags_.error(w.offset->loc, "VMCB offset " + w.offset->text + " is already the word declared at line " +
                                        std::to_string(other.loc.line));
        return;
      }
    cw.offset = static_cast<int>(w.offset->value);
  }
  word_index_[key] = model_->control_words.size();
  model_->control_words.push_back(std::move(cw));
}

void Analyzer::declare_control(const ast::ControlDecl& c) {
  std::string name = c.name.str();
  if (!claim_name(name, c.name.loc, "control")) return;
  ir::Slot s;
  s.name = name;
  s.kind = ir::SlotKind::Control;
  s.width = 1;
  if (c.width) {
    auto w = width_of(*c.width, "control");
    if (!w) return;
    s.width = *w;
  }
  // A bit of a word joins it; a bad bit is reported and the control still
  // declared, so that checks naming it do not fail a second time.
  if (auto it = word_index_.find(c.word); c.bit && it != word_index_.end()) {
    ir::ControlWord& w = model_->control_words[it->second];
    std::string taken;
    for (const auto& [other, bit] : w.bits)
      if (bit == c.bit->value) taken = model_->slot(other).name;
    if (c.bit->overflow || c.bit->value >= w.width) {
      diags_.error(c.bit->loc, "bit " + c.bit->text + " of '" + name + "' is outside its " + std::to_string(w.width) +
                                   "-bit word");
    } else if (!taken.empty()) {
      diags_.error(c.bit->loc, "bit " + c.bit->text + " of the word is already '" + taken + "'");
    } else {
      s.word = static_cast<int>(it->second);
      s.bit = static_cast<int>(c.bit->value);
      w.bits.emplace_back(static_cast<ir::SlotId>(model_->slots.size()), s.bit);
    }
  }
  s.doc = c.doc;
  s.loc = c.name.loc;
  // `activates secondary`: another named word of controls, that VM entry
  // reads as all 0 where this bit is 0.
  if (c.activates) {
    auto it = word_index_.find(c.activates->str());
    if (it == word_index_.end() || model_->control_words[it->second].name.empty())
      diags_.error(c.activates->loc, "'" + c.activates->str() + "' is not a named control word: `activates` names the word (e.g. secondary) that counts as 0 where this bit is 0");
    else if (s.word < 0 || c.word == c.activates->str())
      diags_.error(c.activates->loc, "`activates` is for a bit of another control word; '" + name + "' cannot gate its own word");
    else
      s.activates = static_cast<int>(it->second);
  }
  // `loads DR7, DEBUGCTL`: the guest fields the entry loads only under this bit.
  for (const ast::QName& q : c.loads)
    if (auto slots = state_register(q, "loads")) s.loads.insert(s.loads.end(), slots->begin(), slots->end());
  if (c.loads_else) {
    if (c.loads.size() != 1 || s.loads.size() != 1)
      diags_.error(c.loads_else->loc, "`loads ... else` gives one field's value: name exactly one register or MSR");
    else
      pending_loads_else_.emplace_back(static_cast<ir::SlotId>(model_->slots.size()), &c);
  }
  // `control X = feature.Y`: where an input does not give X, it follows Y
  // (the VMM uses a capability when it has it). Otherwise a constant.
  if (c.def && c.def->kind == ast::Expr::Kind::Name) {
    auto it = model_->slot_by_name.find(c.def->name.str());
    if (it != model_->slot_by_name.end()) {
      const ir::Slot& from = model_->slot(it->second);
      if (from.kind != ir::SlotKind::Param && from.kind != ir::SlotKind::Feature)
        diags_.error(c.def->loc, "default of control '" + name + "' names '" + from.name +
                                     "', which is not a param or feature");
      else if (from.width != s.width)
        diags_.error(c.def->loc, "default of control '" + name + "' names '" + from.name + "' of " +
                                     std::to_string(from.width) + " bits; the control has " + std::to_string(s.width));
      else
        s.default_from = it->second;
      used_slots_.insert(it->second);
      model_->slot_by_name[name] = static_cast<ir::SlotId>(model_->slots.size());
      model_->slots.push_back(std::move(s));
      return;
    }
  }
  s.default_value = default_of(c.def, s.width, name);
  model_->slot_by_name[name] = static_cast<ir::SlotId>(model_->slots.size());
  model_->slots.push_back(std::move(s));
}

void Analyzer::declare_all() {
  std::map<std::string, const ast::StructDecl*> structs;
  for (const ast::SpecFile& f : files_) {
    for (const ast::StructDecl& s : f.structs) {
      if (!claim_name(s.name, s.loc, "struct")) continue;
      structs[s.name] = &s;
      std::set<std::string> members;
      for (const ast::MemberDecl& m : s.members)
        if (!members.insert(m.name).second) diags_.error(m.loc, "duplicate member '" + m.name + "' in struct " + s.name);
    }
  }
  // Slots are numbered by kind, then in declaration order: registers, MSRs,
  // segments, descriptor tables, then configuration. Reports list fields in
  // this order, whatever file declared them.
  for (bool msr : {false, true})
    for (const ast::SpecFile& f : files_)
      for (const ast::RegisterDecl& r : f.registers)
        if (r.is_msr == msr) declare_register(r);
  for (auto kind : {ast::GroupDecl::Kind::Segment, ast::GroupDecl::Kind::Dtable})
    for (const ast::SpecFile& f : files_)
      for (const ast::GroupDecl& g : f.groups)
        if (g.kind == kind) declare_group(g, structs);
  for (const ast::SpecFile& f : files_)
    for (const ast::ControlWordDecl& w : f.control_words) declare_control_word(w);
  for (const ast::SpecFile& f : files_) {
    for (const ast::ParamDecl& p : f.params) declare_param(p);
    for (const ast::FeatureDecl& x : f.features) declare_feature(x);
    for (const ast::ControlDecl& c : f.controls) declare_control(c);
  }
  for (ir::ControlWord& w : model_->control_words) std::sort(w.bits.begin(), w.bits.end(), [](auto& a, auto& b) {
    return a.second < b.second;
  });
  // A named word (VMCS) also holds the bits the spec does not name, after
  // its named bits; a VMCB word is only its named bits (its other bits are
  // other fields).
  for (ir::ControlWord& w : model_->control_words) {
    if (w.name.empty() || !claim_name(w.name + ".other_bits", w.loc, "control")) continue;
    ir::Slot s;
    s.name = w.name + ".other_bits";
    s.kind = ir::SlotKind::Control;
    s.width = w.width;
    s.doc = "the bits of the " + w.name + " word the spec does not name (the raw field with its named bits masked off)";
    s.loc = w.loc;
    w.other = static_cast<ir::SlotId>(model_->slots.size());
    model_->slot_by_name[s.name] = *w.other;
    model_->slots.push_back(std::move(s));
  }
  for (const ast::SpecFile& f : files_) {
    for (const ast::DefDecl& d : f.defs) {
      if (!claim_name(d.name, d.loc, "def")) continue;
      def_decls_[d.name] = &d;
    }
  }
  declare_model();
}

}  // namespace vcpuspec::sema
