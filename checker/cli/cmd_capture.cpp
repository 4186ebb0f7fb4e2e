// vcpuspec capture: the real RESET/INIT state of a KVM vCPU as the state
// JSON, and the acceptance oracle (KVM's verdicts next to the checker's).
#include <fstream>
#include <iostream>
#include <memory>

#include "checker.gen.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

#ifndef VCPUSPEC_NO_KVM
#include "capture/acceptance.hpp"
#include "capture/capture.hpp"
#endif

namespace vcpuspec::cli {

namespace {

struct CaptureArgs {
  bool reset = false;
  std::string after, init_after;
  unsigned vcpu = 0;
  bool ap = false;
  bool list_programs = false;
  bool oracle = false;
  bool tsc = false;
  bool enter_after_init = false;
  std::string device = "/dev/kvm";
  std::string output, save_before;
};

#ifndef VCPUSPEC_NO_KVM

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

int emit(const CaptureArgs& a, const std::string& text) {
  if (a.output.empty() || a.output == "-") {
    std::cout << text;
    return kOk;
  }
  if (!write_file(a.output, text)) {
    std::cerr << "vcpuspec: error: cannot write " << a.output << "\n";
    return kBadInput;
  }
  return kOk;
}

int run_capture(const CaptureArgs& a) {
  int modes = a.reset + !a.after.empty() + !a.init_after.empty() + a.list_programs + a.oracle;
  if (modes != 1) {
    std::cerr << "vcpuspec: error: give exactly one of --reset, --after PROGRAM, --init-after PROGRAM, "
                 "--list-programs, --oracle\n";
    return kUsage;
  }
  if ((a.ap || a.vcpu) && !a.reset) {
    std::cerr << "vcpuspec: error: --vcpu and --ap go with --reset\n";
    return kUsage;
  }
  if (a.enter_after_init && a.init_after.empty()) {
    std::cerr << "vcpuspec: error: --enter goes with --init-after\n";
    return kUsage;
  }
  if (!a.save_before.empty() && a.init_after.empty()) {
    std::cerr << "vcpuspec: error: --save-before goes with --init-after\n";
    return kUsage;
  }
  if (a.list_programs) {
    for (const capture::GuestProgram& p : capture::guest_programs())
      std::cout << p.name << "\n    " << p.summary << "\n";
    return kOk;
  }
  readers::Slots slots(generated::kSlots, generated::kNumSlots);
  capture::CaptureError err;
  capture::CaptureOptions o;
  o.with_tsc = a.tsc;
  o.device = a.device;
  o.enter_after_init = a.enter_after_init;

  if (a.oracle) {
    auto run = capture::run_acceptance_oracle(a.device, std::span(generated::kChecks, generated::kNumChecks), slots, err);
    if (!run) {
      std::cerr << "vcpuspec: error: " << err.message << "\n";
      return kBadInput;
    }
    int code = emit(a, capture::oracle_table(*run));
    if (code != kOk) return code;
    for (const capture::CaseResult& r : run->results)
      if (r.agreement == capture::Agreement::Disagree || r.agreement == capture::Agreement::BadPair) return kViolation;
    return kOk;
  }
  if (a.reset) {
    unsigned id = a.ap ? (a.vcpu ? a.vcpu : 1) : a.vcpu;
    if (a.ap && id == 0) {
      std::cerr << "vcpuspec: error: --ap: vCPU 0 is the BSP\n";
      return kUsage;
    }
    auto c = capture::capture_reset(id, o, slots, err);
    if (!c) {
      std::cerr << "vcpuspec: error: " << err.message << "\n";
      return kBadInput;
    }
    return emit(a, c->json);
  }
  const std::string& name = a.after.empty() ? a.init_after : a.after;
  const capture::GuestProgram* p = capture::find_program(name);
  if (!p) {
    std::cerr << "vcpuspec: error: no guest program '" << name << "' (" << capture::program_names()
              << "; see --list-programs)\n";
    return kUsage;
  }
  auto c = capture::capture_program(*p, !a.init_after.empty(), o, slots, err);
  if (!c) {
    std::cerr << "vcpuspec: error: " << err.message << "\n";
    return kBadInput;
  }
  if (!a.save_before.empty() && !write_file(a.save_before, c->after.json)) {
    std::cerr << "vcpuspec: error: cannot write " << a.save_before << "\n";
    return kBadInput;
  }
  return emit(a, c->init ? c->init->json : c->after.json);
}

#else

int run_capture(const CaptureArgs&) {
  std::cerr << "vcpuspec: error: capture needs Linux with KVM; this build has no <linux/kvm.h>\n";
  return kBadInput;
}

#endif

}  // namespace

std::function<int()> add_capture(CLI::App& app) {
  auto a = std::make_shared<CaptureArgs>();
  app.add_flag("--reset", a->reset, "a fresh vCPU: the RESET state");
  app.add_option("--vcpu", a->vcpu, "with --reset: the vCPU id to capture (0 is the BSP)");
  app.add_flag("--ap", a->ap, "with --reset: capture an application processor (vCPU 1 unless --vcpu)");
  app.add_option("--after", a->after, "the state a built-in guest program leaves (see --list-programs)");
  app.add_option("--init-after", a->init_after, "run a built-in guest program, deliver INIT, capture the state after");
  app.add_option("--save-before", a->save_before, "with --init-after: also write the state before INIT to this file");
  app.add_flag("--enter", a->enter_after_init,
               "with --init-after: enter the guest once after the INIT and capture the state after that exit");
  app.add_flag("--list-programs", a->list_programs, "list the built-in guest programs");
  app.add_flag("--oracle", a->oracle,
               "feed boundary states to KVM and print its accept/reject next to the checker's verdict");
  app.add_flag("--tsc", a->tsc, "also capture the TSC (it counts from RESET on, so it never equals RESET's 0)");
  app.add_option("--device", a->device, "the KVM device node")->default_str("/dev/kvm");
  app.add_option("-o,--output", a->output, "write to this file instead of stdout");
  return [a] { return run_capture(*a); };
}

}  // namespace vcpuspec::cli
