// The two value domains the generated checks are instantiated with.
//
// Concrete: every slot present; values are plain uint64_t. This is the fast
// path and must equal ir::evaluate() and the Z3 lowering bit for bit.
//
// Partial: some slots absent. A value is a pair (bits, known-mask), the
// standard three-valued bit-vector abstraction: an operator's result bit is
// known only when every completion of the unknown inputs agrees on it. So a
// check decided in this domain is decided for every value the missing
// fields could take; otherwise it is "unknown", never guessed.
#pragma once
#include <cstdint>

#include "runtime/state.hpp"

namespace vcpuspec::rt {

struct Concrete {
  using V = uint64_t;
  const State* cur;
  const State* prev = nullptr;

  V var(size_t slot, unsigned) const { return cur->get(slot); }
  V prev_var(size_t slot, unsigned) const { return prev->get(slot); }
  static V k(uint64_t c, unsigned) { return c; }
  static V ext(V a, unsigned hi, unsigned lo) { return (a >> lo) & mask_of(hi - lo + 1); }
  static V lnot(V a) { return a ^ 1; }
  static V bnot(V a, unsigned w) { return ~a & mask_of(w); }
  static V neg(V a, unsigned w) { return (0 - a) & mask_of(w); }
  static V land(V a, V b) { return a & b; }
  static V lor(V a, V b) { return a | b; }
  static V implies(V a, V b) { return ((a ^ 1) | b) & 1; }
  static V band(V a, V b) { return a & b; }
  static V bor(V a, V b) { return a | b; }
  static V bxor(V a, V b) { return a ^ b; }
  static V add(V a, V b, unsigned w) { return (a + b) & mask_of(w); }
  static V sub(V a, V b, unsigned w) { return (a - b) & mask_of(w); }
  static V shl(V a, V n, unsigned w, unsigned) { return n >= w ? 0 : (a << n) & mask_of(w); }
  static V lshr(V a, V n, unsigned w, unsigned) { return n >= w ? 0 : a >> n; }
  static V eq(V a, V b, unsigned) { return a == b; }
  static V ne(V a, V b, unsigned) { return a != b; }
  static V ult(V a, V b, unsigned) { return a < b; }
  static V ule(V a, V b, unsigned) { return a <= b; }
  static V ugt(V a, V b, unsigned) { return a > b; }
  static V uge(V a, V b, unsigned) { return a >= b; }
  static V ite(V c, V a, V b) { return c ? a : b; }
  static V sext(V a, unsigned from, unsigned to) {
    if (from < 64 && ((a >> (from - 1)) & 1)) a |= ~mask_of(from);
    return a & mask_of(to);
  }
  static V zext(V a, unsigned, unsigned) { return a; }
  template <class... T>
  static V in(V a, unsigned, T... set) { return ((a == set) || ...); }
};

// A partially known value: bits `v` where `k` has a 1. Invariant: v & ~k == 0.
struct Tri {
  uint64_t v = 0;
  uint64_t k = 0;
  bool known(unsigned w) const { return (k & mask_of(w)) == mask_of(w); }
  bool is_true() const { return (k & 1) && (v & 1); }
  bool is_false() const { return (k & 1) && !(v & 1); }
};

struct Partial {
  using V = Tri;
  const State* cur;
  const State* prev = nullptr;

  static V unknown() { return Tri{0, 0}; }
  static V k(uint64_t c, unsigned w) { return Tri{c & mask_of(w), mask_of(w)}; }
  static V from(const State* s, size_t slot, unsigned w) {
    if (!s || !s->has(slot)) return unknown();
    return Tri{s->get(slot) & mask_of(w), mask_of(w)};
  }
  V var(size_t slot, unsigned w) const { return from(cur, slot, w); }
  V prev_var(size_t slot, unsigned w) const { return from(prev, slot, w); }

  static V ext(V a, unsigned hi, unsigned lo) {
    uint64_t m = mask_of(hi - lo + 1);
    return Tri{(a.v >> lo) & m, (a.k >> lo) & m};
  }
  static V bnot(V a, unsigned w) { return Tri{~a.v & a.k & mask_of(w), a.k & mask_of(w)}; }
  static V lnot(V a) { return bnot(a, 1); }
  static V band(V a, V b) {
    uint64_t k = (a.k & b.k) | (a.k & ~a.v) | (b.k & ~b.v);  // a known 0 decides
    return Tri{a.v & b.v & k, k};
  }
  static V bor(V a, V b) {
    uint64_t k = (a.k & b.k) | a.v | b.v;  // a known 1 decides
    return Tri{(a.v | b.v) & k, k};
  }
  static V bxor(V a, V b) {
    uint64_t k = a.k & b.k;
    return Tri{(a.v ^ b.v) & k, k};
  }
  static V land(V a, V b) { return band(a, b); }
  static V lor(V a, V b) { return bor(a, b); }
  static V implies(V a, V b) { return bor(lnot(a), b); }

  // Arithmetic: known only when both operands are.
  static V add(V a, V b, unsigned w) {
    if (!a.known(w) || !b.known(w)) return unknown();
    return k(a.v + b.v, w);
  }
  static V sub(V a, V b, unsigned w) {
    if (!a.known(w) || !b.known(w)) return unknown();
    return k(a.v - b.v, w);
  }
  static V neg(V a, unsigned w) {
    if (!a.known(w)) return unknown();
    return k(0 - a.v, w);
  }
  static bool all_zero(V a, unsigned w) { return a.known(w) && a.v == 0; }
  // Shifts: with a known amount the known bits move and the vacated bits
  // become known zeros; with an unknown amount only an all-zero value stays known.
  static V shl(V a, V n, unsigned w, unsigned nw) {
    if (!n.known(nw)) return all_zero(a, w) ? k(0, w) : unknown();
    if (n.v >= w) return k(0, w);
    uint64_t m = mask_of(w);
    return Tri{(a.v << n.v) & m, ((a.k << n.v) | mask_of(static_cast<unsigned>(n.v))) & m};
  }
  static V lshr(V a, V n, unsigned w, unsigned nw) {
    if (!n.known(nw)) return all_zero(a, w) ? k(0, w) : unknown();
    if (n.v >= w) return k(0, w);
    uint64_t m = mask_of(w);
    uint64_t vacated = m & ~(m >> n.v);
    return Tri{(a.v & m) >> n.v, (((a.k & m) >> n.v) | vacated) & m};
  }
  static V eq(V a, V b, unsigned w) {
    uint64_t both = a.k & b.k & mask_of(w);
    if ((a.v ^ b.v) & both) return k(0, 1);  // a known bit differs
    if (both == mask_of(w)) return k(1, 1);
    return unknown();
  }
  static V ne(V a, V b, unsigned w) { return lnot(eq(a, b, w)); }
  // Comparisons from the bounds the known bits give.
  static uint64_t lo(V a, unsigned w) { return a.v & mask_of(w); }
  static uint64_t hi(V a, unsigned w) { return (a.v | ~a.k) & mask_of(w); }
  static V ult(V a, V b, unsigned w) {
    if (hi(a, w) < lo(b, w)) return k(1, 1);
    if (lo(a, w) >= hi(b, w)) return k(0, 1);
    return unknown();
  }
  static V ule(V a, V b, unsigned w) {
    if (hi(a, w) <= lo(b, w)) return k(1, 1);
    if (lo(a, w) > hi(b, w)) return k(0, 1);
    return unknown();
  }
  static V ugt(V a, V b, unsigned w) { return ult(b, a, w); }
  static V uge(V a, V b, unsigned w) { return ule(b, a, w); }
  static V ite(V c, V a, V b) {
    if (c.is_true()) return a;
    if (c.is_false()) return b;
    uint64_t k = a.k & b.k & ~(a.v ^ b.v);  // bits both branches agree on
    return Tri{a.v & k, k};
  }
  static V sext(V a, unsigned from, unsigned to) {
    uint64_t top = 1ULL << (from - 1);
    uint64_t ext = mask_of(to) & ~mask_of(from);
    if (!(a.k & top)) return Tri{a.v, a.k & mask_of(from)};
    return Tri{((a.v & top) ? a.v | ext : a.v) & mask_of(to), (a.k | ext) & mask_of(to)};
  }
  static V zext(V a, unsigned from, unsigned to) { return Tri{a.v, (a.k & mask_of(from)) | (mask_of(to) & ~mask_of(from))}; }
  template <class... T>
  static V in(V a, unsigned w, T... set) {
    V any = k(0, 1);
    ((any = lor(any, eq(a, set, w))), ...);
    return any;
  }
};

}  // namespace vcpuspec::rt
