// Fields the VM entry does not load. With a VMX entry control such as `load
// IA32_PAT` 0 (SVM: nested paging off for g_PAT), the CPU keeps the VMM's value
// and ignores the guest field: its value in a VMCS or VMCB dump is not the
// guest's, and no check may judge it as such. The spec says which fields each
// control bit loads (`loads` in spec/vmx/vmcs.vspec, spec/svm/vmcb.vspec).
#pragma once
#include "readers/input.hpp"
#include "runtime/check.hpp"

namespace vcpuspec::engine {

// Clears, from `in`, every field a control bit the input gives (or --set) as 0
// would have loaded, marks it Origin::NotLoaded and notes which and why.
// Fields the input gives as the guest's effective value (StateInput::effective)
// stay. A control only defaulted or inferred changes nothing: unknown stays
// unknown, and the field is judged as before.
void drop_not_loaded(readers::Slots slots, readers::StateInput& in);

// A check every state field of which the entry did not load judges only the
// VMM's own values, which a CPU holds: it does not apply to this entry.
bool reads_only_not_loaded(const rt::CheckInfo& c, readers::Slots slots, const readers::StateInput& in);

}  // namespace vcpuspec::engine
