// The checks of the built-in spec as an IR model, rebuilt from the tables the
// generated checker carries (slots from kSlots, expressions from
// kCheckTerms) rather than by parsing the spec: what the exact pass hands Z3.
// Slot and check indices are the generated tables' own. Only slots and
// checks are filled: no states, flows or groups.
#pragma once
#include "ir/ir.hpp"

namespace vcpuspec::builtin {

// Built on first use; throws std::invalid_argument if the tables are malformed (a build bug).
const ir::Model& check_model();

}  // namespace vcpuspec::builtin
