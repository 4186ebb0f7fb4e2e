// The three-valued domain is sound: whatever the unknown bits are, the
// concrete result agrees with every bit the abstract result calls known.
// Exhaustive over 3-bit operands (every value/known pair).
#include <catch2/catch.hpp>

#include <functional>

#include "runtime/domains.hpp"

using namespace vcpuspec::rt;

namespace {

constexpr unsigned W = 3;

// Every concrete value a Tri of width W stands for.
std::vector<uint64_t> concretize(Tri t) {
  std::vector<uint64_t> out;
  for (uint64_t x = 0; x <= mask_of(W); ++x)
    if ((x & t.k) == t.v) out.push_back(x);
  return out;
}

std::vector<Tri> all_tris(unsigned w) {
  std::vector<Tri> out;
  for (uint64_t k = 0; k <= mask_of(w); ++k)
    for (uint64_t v = 0; v <= mask_of(w); ++v)
      if ((v & ~k) == 0) out.push_back(Tri{v, k});
  return out;
}

using Bin = std::function<Tri(Tri, Tri)>;
using BinC = std::function<uint64_t(uint64_t, uint64_t)>;

size_t sound_binary(const Bin& abs, const BinC& conc, unsigned wa, unsigned wb, unsigned wr) {
  size_t checked = 0;
  for (Tri a : all_tris(wa))
    for (Tri b : all_tris(wb)) {
      Tri r = abs(a, b);
      REQUIRE((r.v & ~r.k) == 0);
      for (uint64_t x : concretize(Tri{a.v, a.k | ~mask_of(wa)}))
        for (uint64_t y : concretize(Tri{b.v, b.k | ~mask_of(wb)})) {
          if (x > mask_of(wa) || y > mask_of(wb)) continue;
          uint64_t c = conc(x, y) & mask_of(wr);
          REQUIRE((c & r.k & mask_of(wr)) == (r.v & mask_of(wr)));
          ++checked;
        }
    }
  return checked;
}

}  // namespace

TEST_CASE("Partial domain is sound for every operator (exhaustive, 3 bits)", "[domains]") {
  using P = Partial;
  using C = Concrete;
  size_t n = 0;
  n += sound_binary([](Tri a, Tri b) { return P::band(a, b); }, [](uint64_t a, uint64_t b) { return C::band(a, b); }, W, W, W);
  n += sound_binary([](Tri a, Tri b) { return P::bor(a, b); }, [](uint64_t a, uint64_t b) { return C::bor(a, b); }, W, W, W);
  n += sound_binary([](Tri a, Tri b) { return P::bxor(a, b); }, [](uint64_t a, uint64_t b) { return C::bxor(a, b); }, W, W, W);
  n += sound_binary([](Tri a, Tri b) { return P::add(a, b, W); }, [](uint64_t a, uint64_t b) { return C::add(a, b, W); }, W, W, W);
  n += sound_binary([](Tri a, Tri b) { return P::sub(a, b, W); }, [](uint64_t a, uint64_t b) { return C::sub(a, b, W); }, W, W, W);
  n += sound_binary([](Tri a, Tri b) { return P::shl(a, b, W, W); }, [](uint64_t a, uint64_t b) { return C::shl(a, b, W, W); }, W, W, W);
  n += sound_binary([](Tri a, Tri b) { return P::lshr(a, b, W, W); }, [](uint64_t a, uint64_t b) { return C::lshr(a, b, W, W); }, W, W, W);
  n += sound_binary([](Tri a, Tri b) { return P::shl(a, b, W, 2); }, [](uint64_t a, uint64_t b) { return C::shl(a, b, W, 2); }, W, 2, W);
  n += sound_binary([](Tri a, Tri b) { return P::eq(a, b, W); }, [](uint64_t a, uint64_t b) { return C::eq(a, b, W); }, W, W, 1);
  n += sound_binary([](Tri a, Tri b) { return P::ne(a, b, W); }, [](uint64_t a, uint64_t b) { return C::ne(a, b, W); }, W, W, 1);
  n += sound_binary([](Tri a, Tri b) { return P::ult(a, b, W); }, [](uint64_t a, uint64_t b) { return C::ult(a, b, W); }, W, W, 1);
  n += sound_binary([](Tri a, Tri b) { return P::ule(a, b, W); }, [](uint64_t a, uint64_t b) { return C::ule(a, b, W); }, W, W, 1);
  n += sound_binary([](Tri a, Tri b) { return P::ugt(a, b, W); }, [](uint64_t a, uint64_t b) { return C::ugt(a, b, W); }, W, W, 1);
  n += sound_binary([](Tri a, Tri b) { return P::uge(a, b, W); }, [](uint64_t a, uint64_t b) { return C::uge(a, b, W); }, W, W, 1);
  n += sound_binary([](Tri a, Tri b) { return P::land(a, b); }, [](uint64_t a, uint64_t b) { return C::land(a, b); }, 1, 1, 1);
  n += sound_binary([](Tri a, Tri b) { return P::lor(a, b); }, [](uint64_t a, uint64_t b) { return C::lor(a, b); }, 1, 1, 1);
  n += sound_binary([](Tri a, Tri b) { return P::implies(a, b); }, [](uint64_t a, uint64_t b) { return C::implies(a, b); }, 1, 1, 1);
  // Unary operators and extensions, through the same harness (second operand ignored).
  n += sound_binary([](Tri a, Tri) { return P::bnot(a, W); }, [](uint64_t a, uint64_t) { return C::bnot(a, W); }, W, 1, W);
  n += sound_binary([](Tri a, Tri) { return P::neg(a, W); }, [](uint64_t a, uint64_t) { return C::neg(a, W); }, W, 1, W);
  n += sound_binary([](Tri a, Tri) { return P::lnot(a); }, [](uint64_t a, uint64_t) { return C::lnot(a); }, 1, 1, 1);
  n += sound_binary([](Tri a, Tri) { return P::ext(a, 2, 1); }, [](uint64_t a, uint64_t) { return C::ext(a, 2, 1); }, W, 1, 2);
  n += sound_binary([](Tri a, Tri) { return P::sext(a, 2, 3); }, [](uint64_t a, uint64_t) { return C::sext(a, 2, 3); }, 2, 1, W);
  n += sound_binary([](Tri a, Tri) { return P::zext(a, 2, 3); }, [](uint64_t a, uint64_t) { return C::zext(a, 2, 3); }, 2, 1, W);
  n += sound_binary([](Tri a, Tri b) { return P::in(a, W, b, P::k(5, W)); },
                    [](uint64_t a, uint64_t b) { return C::in(a, W, b, uint64_t{5}); }, W, W, 1);
  // ite, with the condition as a third exhaustive operand.
  for (Tri c : all_tris(1)) {
    n += sound_binary([c](Tri a, Tri b) { return P::ite(c, a, b); },
                      [c](uint64_t a, uint64_t b) {
                        // Soundness must hold for each value the condition may take.
                        return c.k ? C::ite(c.v, a, b) : a;
                      },
                      W, W, W);
    if (!c.k) {
      n += sound_binary([c](Tri a, Tri b) { return P::ite(c, a, b); }, [](uint64_t, uint64_t b) { return b; }, W, W, W);
    }
  }
  CHECK(n > 50000);  // (value, operand) combinations checked
}

TEST_CASE("Partial domain stays precise where it should", "[domains]") {
  using P = Partial;
  Tri unknown = P::unknown();
  // A known 0 decides AND, a known 1 decides OR.
  CHECK(P::land(P::k(0, 1), unknown).is_false());
  CHECK(P::lor(P::k(1, 1), unknown).is_true());
  CHECK(P::implies(P::k(0, 1), unknown).is_true());
  // Zero shifted by an unknown amount is zero (pa_ok(0) with MAXPHYADDR unknown).
  CHECK(P::eq(P::lshr(P::k(0, 64), unknown, 64, 6), P::k(0, 64), 64).is_true());
  // Bounds decide comparisons.
  CHECK(P::ult(Tri{0, 0xF0}, P::k(0x10, 8), 8).is_true());
  // Equal branches decide an unknown condition.
  CHECK(P::ite(unknown, P::k(7, 3), P::k(7, 3)).known(3));
}
