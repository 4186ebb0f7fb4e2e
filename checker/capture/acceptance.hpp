// The acceptance oracle: for the architectural checks KVM enforces when user
// space writes state (KVM_SET_SREGS, _REGS, _MSRS, _XCRS, _DEBUGREGS;
// the checks of spec/arch/invariants.vspec that cite a KVM function), a passing
// state and a one-field change that fails the check are fed to fresh vCPUs, and
// KVM's accept/reject is compared with the generated checker's verdict.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "capture/capture_state.hpp"
#include "readers/input.hpp"
#include "runtime/check.hpp"

namespace vcpuspec::capture {

// One slot assignment; `msr` != 0 writes it to KVM through KVM_SET_MSRS with
// that index instead of the ioctl that normally carries the slot.
struct Assign {
  std::string field;
  uint64_t value = 0;
  uint32_t msr = 0;
};

// A boundary pair, built for the CPU at hand.
struct BoundaryPair {
  std::vector<Assign> base;    // applied to RESET: passes the check
  std::vector<Assign> change;  // applied on top: fails it
  std::string what;            // the change in words: "CR0.NW=1, CD=0"
};

struct AcceptanceCase {
  const char* name;       // unique: "cr0_nw"
  const char* check;      // the spec check, e.g. "ARCH.CR0.NW_NEEDS_CD"
  const char* ioctl;      // the ioctl that carries the change
  const char* kvm_note;   // where KVM is known to accept the failing state: why; "" if it enforces the check
  // Builds the pair, or says why this CPU cannot have one.
  std::optional<BoundaryPair> (*build)(const CpuModel& cpu, std::string& why_not);
};
std::span<const AcceptanceCase> acceptance_cases();
// Why vendor module `backend` accepts case `c`'s failing state, where that was
// measured and explained for it (docs/oracles.md); null otherwise.
const char* host_deviation(const std::string& backend, const AcceptanceCase& c);

// Deviation: KVM accepts a failing state for a reason KVM's code documents;
// HostDeviation: measured on one vendor module and explained for it.
enum class Agreement { Agree, Deviation, HostDeviation, Disagree, BadPair, NotTestable };
const char* agreement_name(Agreement a);

struct CaseResult {
  const AcceptanceCase* c = nullptr;
  std::string what;
  bool kvm_accepts_pass = false, kvm_accepts_fail = false;
  std::string kvm_pass_detail, kvm_fail_detail;  // the rejecting ioctl and error
  std::string readback;                          // changed fields KVM stored differently
  rt::Verdict checker_pass = rt::Verdict::Unknown, checker_fail = rt::Verdict::Unknown;
  std::vector<std::string> also_failing;         // other checks the failing state breaks
  Agreement agreement = Agreement::NotTestable;
  std::string reason;                            // for Deviation, Disagree, BadPair, NotTestable
};

struct OracleRun {
  std::vector<CaseResult> results;
  std::string host;  // kernel and backend
};

// Runs every case on fresh vCPUs of the KVM device `device` (/dev/kvm).
// Null with `err` when KVM is unusable.
std::optional<OracleRun> run_acceptance_oracle(const std::string& device, std::span<const rt::CheckInfo> checks,
                                               readers::Slots slots, CaptureError& err);

// The agreement table as Markdown (docs/oracles.md embeds it).
std::string oracle_table(const OracleRun& run);

}  // namespace vcpuspec::capture
