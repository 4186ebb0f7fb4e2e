// The exit codes of every vcpuspec command (docs/cli.md).
#pragma once

namespace vcpuspec::cli {

enum Exit : int {
  kOk = 0,          // clean, proved
  kViolation = 1,   // a check failed, a field mismatched, a counterexample was found
  kUsage = 2,       // bad command line
  kBadInput = 3,    // a spec, dump or trace that cannot be read: file:line:col: error: ...
  kUnknown = 4,     // something could not be decided (missing fields, Z3 unknown or timeout)
  kNothingChecked = 5,  // check: no input file, or no selected check applies to any input
  kInternal = 70,   // a bug in vcpuspec (EX_SOFTWARE), said plainly instead of a crash
};

}  // namespace vcpuspec::cli
