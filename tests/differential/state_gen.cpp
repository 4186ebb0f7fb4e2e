#include "differential/state_gen.hpp"

namespace vcpuspec::test {

namespace {

// Values near the edges the checks care about: canonical boundaries,
// MAXPHYADDR boundaries, sign bits, small numbers.
const std::vector<uint64_t>& interesting() {
  static const std::vector<uint64_t> v = [] {
    std::vector<uint64_t> out = {0, 1, 2, 3, 7, 0x10, 0xFFF, 0xFFFF, 0x10000, 0x60000010, 0x80000000, 0xFFFFFFFF,
                                 0x100000000ULL, 0x00007FFFFFFFFFFFULL, 0x0000800000000000ULL,
                                 0xFFFF800000000000ULL, 0xFFFF7FFFFFFFFFFFULL, 0x00FFFFFFFFFFFFFFULL,
                                 0xFF00000000000000ULL, 0x0100000000000000ULL, 0xFEFFFFFFFFFFFFFFULL,
                                 0x7FFFFFFFFFFFFFFFULL, 0x8000000000000000ULL, ~0ULL, 0x0007040600070406ULL,
                                 0xF8F8F8F8F8F8F8F8ULL, 0xFEE00900, 0xFEE00D00, 0xFEE00500};
    for (unsigned b = 31; b <= 53; ++b) {
      out.push_back(1ULL << b);
      out.push_back((1ULL << b) - 1);
    }
    return out;
  }();
  return v;
}

}  // namespace

StateGen::StateGen(const ir::Model& m, uint64_t seed) : m_(m), rng_(seed) {
  reset_.assign(m.slots.size(), 0);
  const ir::StateDef* reset = m.find_state("RESET");
  if (!reset) return;
  // Configuration fixed, prev irrelevant: evaluate each piece.
  for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
    if (!reset->init[id]) continue;
    for (const ir::Piece& p : reset->init[id]->pieces) {
      std::vector<uint64_t> cfg(m.slots.size(), 0);
      if (auto v = ir::fold(*p.value)) reset_[id] |= (*v << p.lo) & p.mask();
    }
  }
}

uint64_t StateGen::value_for(ir::SlotId id) {
  const ir::Slot& s = m_.slot(id);
  switch (rng_() % 6) {
    case 0: return masked(id, rng_());
    case 1: case 2: return masked(id, interesting()[rng_() % interesting().size()]);
    case 3: return reset_[id];
    case 4: {  // one field of the RESET value changed
      if (s.fields.empty()) return masked(id, rng_());
      const ir::BitField& f = s.fields[rng_() % s.fields.size()];
      uint64_t fv = rng_() % 3 == 0 ? ir::mask_of(f.width()) : rng_() & ir::mask_of(f.width());
      return (reset_[id] & ~ir::range_mask(f.hi, f.lo)) | (fv << f.lo);
    }
    default: return masked(id, 1ULL << (rng_() % s.width));
  }
}

std::vector<uint64_t> StateGen::reset_like() {
  std::vector<uint64_t> v = reset_;
  for (ir::SlotId id = 0; id < m_.slots.size(); ++id) {
    const ir::Slot& s = m_.slot(id);
    if (ir::is_state(s.kind)) continue;
    if (s.range && rng_() % 4 != 0) v[id] = s.range->first + rng_() % (s.range->second - s.range->first + 1);
    else v[id] = masked(id, rng_());
  }
  return v;
}

std::vector<std::vector<uint64_t>> StateGen::boundary() {
  std::vector<std::vector<uint64_t>> out;
  size_t n = m_.slots.size();
  out.push_back(std::vector<uint64_t>(n, 0));
  std::vector<uint64_t> ones(n);
  for (ir::SlotId id = 0; id < n; ++id) ones[id] = ir::mask_of(m_.slot(id).width);
  out.push_back(ones);
  for (ir::SlotId id = 0; id < n; ++id) {
    const ir::Slot& s = m_.slot(id);
    // Every field, reserved run and fixed-1 run at 0, 1, max-1, max.
    std::vector<std::pair<unsigned, unsigned>> ranges;
    for (const ir::BitField& f : s.fields) ranges.emplace_back(f.hi, f.lo);
    for (uint64_t m : {s.reserved_mask, s.fixed1_mask}) {
      for (int b = 63; b >= 0;) {
        if (!((m >> b) & 1)) { --b; continue; }
        unsigned hi = static_cast<unsigned>(b);
        while (b >= 0 && ((m >> b) & 1)) --b;
        ranges.emplace_back(hi, static_cast<unsigned>(b + 1));
      }
    }
    for (auto [hi, lo] : ranges) {
      uint64_t max = ir::mask_of(hi - lo + 1);
      for (uint64_t fv : {uint64_t{0}, uint64_t{1}, max - 1, max}) {
        std::vector<uint64_t> st = reset_like();
        st[id] = (st[id] & ~ir::range_mask(hi, lo)) | ((fv & max) << lo);
        out.push_back(st);
      }
    }
    // Every bit alone, over RESET and over all-zero.
    for (unsigned b = 0; b < s.width; ++b) {
      std::vector<uint64_t> st = reset_like();
      st[id] ^= 1ULL << b;
      out.push_back(st);
      std::vector<uint64_t> z(n, 0);
      z[id] = 1ULL << b;
      out.push_back(z);
    }
    for (uint64_t v : interesting()) {
      std::vector<uint64_t> st = reset_like();
      st[id] = masked(id, v);
      out.push_back(st);
    }
  }
  return out;
}

std::vector<uint64_t> StateGen::random(unsigned kind) {
  size_t n = m_.slots.size();
  std::vector<uint64_t> v(n);
  switch (kind % 3) {
    case 0:
      for (ir::SlotId id = 0; id < n; ++id) v[id] = masked(id, rng_());
      break;
    case 1:
      for (ir::SlotId id = 0; id < n; ++id) v[id] = value_for(id);
      break;
    default: {
      v = reset_like();
      unsigned k = 1 + static_cast<unsigned>(rng_() % 4);
      for (unsigned i = 0; i < k; ++i) {
        ir::SlotId id = static_cast<ir::SlotId>(rng_() % n);
        v[id] = value_for(id);
      }
    }
  }
  return v;
}

}  // namespace vcpuspec::test
