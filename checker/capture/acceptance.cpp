#include "capture/acceptance.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include "engine/run_checks.hpp"
#include "readers/state_json.hpp"

namespace vcpuspec::capture {

namespace {

// The two views of one state: what is written to KVM (MSR-channel fields
// go through KVM_SET_MSRS) and what the checker sees.
struct FedState {
  KvmVcpuState kvm;
  KvmVcpuState checker;
};

bool apply(FedState& s, const std::vector<Assign>& assigns, std::string& err) {
  for (const Assign& a : assigns) {
    if (!set_field(s.checker, a.field, a.value)) {
      err = "cannot express " + a.field;
      return false;
    }
    if (a.msr) {
      bool replaced = false;
      for (MsrValue& m : s.kvm.msrs)
        if (m.index == a.msr) m.value = a.value, replaced = true;
      if (!replaced) s.kvm.msrs.push_back({a.msr, a.value});
    } else if (!set_field(s.kvm, a.field, a.value)) {
      err = "cannot express " + a.field;
      return false;
    }
  }
  return true;
}

struct KvmVerdict {
  bool accepted = false;
  std::string detail;
  std::string readback;
};

// Feeds a state to a fresh vCPU; on acceptance, reads the named fields back.
std::optional<KvmVerdict> feed(const std::string& device, const FedState& s, const std::vector<Assign>& watched,
                               CaptureError& err) {
  std::unique_ptr<Vm> vm = Vm::create(device, err);
  if (!vm) return std::nullopt;
  Vcpu* v = vm->add_vcpu(0, err);
  if (!v) return std::nullopt;
  KvmVerdict out;
  WriteResult w = write_vcpu(*v, s.kvm);
  out.accepted = w.accepted;
  if (!w.accepted) {
    out.detail = std::string(set_ioctl_name(w.rejected_by)) + ": " + w.detail;
    return out;
  }
  KvmVcpuState back;
  std::vector<uint32_t> indices = msr_indices();
  for (const Assign& a : watched)
    if (a.msr) indices.push_back(a.msr);
  if (!read_vcpu(*v, indices, back, err)) return std::nullopt;
  std::vector<Field> now = state_fields(back), wrote = state_fields(s.checker);
  for (const Assign& a : watched) {
    uint64_t got = 0, want = 0;
    bool have_got = false, have_want = false;
    for (const Field& f : now) if (f.name == a.field) got = f.value, have_got = true;
    for (const Field& f : wrote) if (f.name == a.field) want = f.value, have_want = true;
    if (a.msr && back.msr(a.msr)) got = back.msr(a.msr)->value, have_got = true;
    if (have_got && have_want && got != want) {
      char b[128];
      std::snprintf(b, sizeof b, "%s reads back 0x%llx (written 0x%llx)", a.field.c_str(),
                    static_cast<unsigned long long>(got), static_cast<unsigned long long>(want));
      out.readback += (out.readback.empty() ? "" : "; ") + std::string(b);
    }
  }
  return out;
}

struct CheckerVerdict {
  rt::Verdict target = rt::Verdict::Unknown;
  std::vector<std::string> failing;  // every failing check
  std::string error;
};

CheckerVerdict judge(const KvmVcpuState& s, const CpuModel& cpu, const char* check,
                     std::span<const rt::CheckInfo> checks, readers::Slots slots) {
  CheckerVerdict v;
  CaptureDescription d;
  d.flavor = "arch";
  d.bsp = true;
  d.source = "acceptance oracle";
  auto r = readers::read_state_json(state_json(s, cpu, d, slots), "<oracle>", slots);
  if (auto* e = std::get_if<readers::ReadError>(&r)) {
    v.error = e->format();
    return v;
  }
  engine::CheckRun run = engine::run_checks(checks, slots, std::get<readers::StateInput>(r));
  for (const engine::CheckResult& c : run.results) {
    if (std::string_view(c.info->id) == check) v.target = c.verdict;
    if (c.verdict == rt::Verdict::Fail) v.failing.push_back(c.info->id);
  }
  return v;
}

}  // namespace

const char* agreement_name(Agreement a) {
  switch (a) {
    case Agreement::Agree: return "agree";
    case Agreement::Deviation: return "documented deviation";
    case Agreement::HostDeviation: return "host deviation";
    case Agreement::Disagree: return "DISAGREE";
    case Agreement::BadPair: return "bad pair";
    case Agreement::NotTestable: return "not testable here";
  }
  return "?";
}

std::optional<OracleRun> run_acceptance_oracle(const std::string& device, std::span<const rt::CheckInfo> checks,
                                               readers::Slots slots, CaptureError& err) {
  // AMX state components are offered to guests only after the process asks
  // for them (ARCH_REQ_XCOMP_GUEST_PERM, XFEATURE_XTILEDATA); harmless if refused.
  ::syscall(SYS_arch_prctl, 0x1025, 18);
  std::unique_ptr<Vm> vm = Vm::create(device, err);
  if (!vm) return std::nullopt;
  Vcpu* v = vm->add_vcpu(0, err);
  if (!v) return std::nullopt;
  KvmVcpuState reset;
  if (!read_vcpu(*v, msr_indices(), reset, err)) return std::nullopt;
  // The TSC is a counter, not state to feed back: leave it to KVM. IA32_XSS,
  // IA32_SPEC_CTRL and IA32_MISC_ENABLE read back, but KVM may refuse to
  // take them again when the guest's CPUID lacks the feature (XSS without
  // XSAVES: KVM_SET_MSRS stops there); no acceptance case writes them.
  std::erase_if(reset.msrs, [](const MsrValue& m) {
    return m.index == kTscMsr || m.index == 0xDA0 || m.index == 0x48 || m.index == 0x1A0;
  });
  CpuModel cpu = cpu_model(vm->supported_cpuid());
  HostInfo host = host_info();
  OracleRun run;
  run.host = "Linux " + host.kernel + ", vendor module " + (host.backend.empty() ? "unknown" : host.backend);

  for (const AcceptanceCase& c : acceptance_cases()) {
    CaseResult r;
    r.c = &c;
    std::string why;
    std::optional<BoundaryPair> pair = c.build(cpu, why);
    if (!pair) {
      r.agreement = Agreement::NotTestable;
      r.reason = why;
      run.results.push_back(std::move(r));
      continue;
    }
    r.what = pair->what;
    FedState pass{reset, reset};
    std::string aerr;
    if (!apply(pass, pair->base, aerr)) throw std::logic_error(std::string(c.check) + ": " + aerr);
    FedState fail = pass;
    if (!apply(fail, pair->change, aerr)) throw std::logic_error(std::string(c.check) + ": " + aerr);
    // Every field the pair sets, once (the change overrides the base).
    std::vector<Assign> watched;
    for (const std::vector<Assign>* list : {&pair->base, &pair->change})
      for (const Assign& a : *list) {
        std::erase_if(watched, [&](const Assign& w) { return w.field == a.field; });
        watched.push_back(a);
      }

    auto kp = feed(device, pass, watched, err);
    auto kf = kp ? feed(device, fail, watched, err) : std::nullopt;
    if (!kp || !kf) return std::nullopt;
    r.kvm_accepts_pass = kp->accepted;
    r.kvm_accepts_fail = kf->accepted;
    r.kvm_pass_detail = kp->detail;
    r.kvm_fail_detail = kf->detail;
    r.readback = kf->accepted ? kf->readback : kp->readback;
    CheckerVerdict cp = judge(pass.checker, cpu, c.check, checks, slots);
    CheckerVerdict cf = judge(fail.checker, cpu, c.check, checks, slots);
    r.checker_pass = cp.target;
    r.checker_fail = cf.target;
    for (const std::string& id : cf.failing)
      if (id != c.check) r.also_failing.push_back(id);

    if (!cp.error.empty() || !cf.error.empty()) {
      r.agreement = Agreement::BadPair;
      r.reason = cp.error.empty() ? cf.error : cp.error;
    } else if (cp.target != rt::Verdict::Pass || cf.target != rt::Verdict::Fail || !cp.failing.empty()) {
      r.agreement = Agreement::BadPair;
      r.reason = std::string("the checker says ") + rt::verdict_name(cp.target) + "/" + rt::verdict_name(cf.target) +
                 (cp.failing.empty() ? "" : "; the passing state fails " + cp.failing.front());
    } else if (!kp->accepted) {
      r.agreement = Agreement::Disagree;
      r.reason = "KVM rejects the passing state (" + kp->detail + ")";
    } else if (kf->accepted) {
      const char* hd = host_deviation(host.backend, c);
      r.agreement = *c.kvm_note ? Agreement::Deviation : hd ? Agreement::HostDeviation : Agreement::Disagree;
      r.reason = *c.kvm_note ? c.kvm_note : hd ? hd : "KVM accepts the failing state";
    } else {
      r.agreement = Agreement::Agree;
      if (*c.kvm_note) r.reason = std::string("enforced here, although: ") + c.kvm_note;
    }
    run.results.push_back(std::move(r));
  }
  return run;
}

std::string oracle_table(const OracleRun& run) {
  auto kvm = [](bool accepted, const std::string& detail) {
    return accepted ? std::string("accepts") : "rejects (" + detail + ")";
  };
  std::string s = "KVM acceptance oracle on " + run.host + "\n\n";
  s += "| check | ioctl | failing change | KVM: passing / failing state | checker | verdict | why |\n";
  s += "|---|---|---|---|---|---|---|\n";
  size_t agree = 0, deviation = 0, host = 0, disagree = 0, other = 0;
  for (const CaseResult& r : run.results) {
    switch (r.agreement) {
      case Agreement::Agree: ++agree; break;
      case Agreement::Deviation: ++deviation; break;
      case Agreement::HostDeviation: ++host; break;
      case Agreement::Disagree: ++disagree; break;
      default: ++other; break;
    }
    std::string why = r.reason;
    if (!r.readback.empty()) why += (why.empty() ? "" : "; ") + r.readback;
    if (!r.also_failing.empty()) {
      std::string also;
      for (const std::string& id : r.also_failing) also += (also.empty() ? "" : ", ") + id;
      why += (why.empty() ? "" : "; ") + std::string("the change also fails ") + also;
    }
    std::string k = r.agreement == Agreement::NotTestable
                        ? "-"
                        : kvm(r.kvm_accepts_pass, r.kvm_pass_detail) + " / " + kvm(r.kvm_accepts_fail, r.kvm_fail_detail);
    std::string ch = r.agreement == Agreement::NotTestable
                         ? "-"
                         : std::string(rt::verdict_name(r.checker_pass)) + " / " + rt::verdict_name(r.checker_fail);
    s += "| " + std::string(r.c->check) + " | " + r.c->ioctl + " | " + (r.what.empty() ? "-" : r.what) + " | " + k +
         " | " + ch + " | " + agreement_name(r.agreement) + " | " + (why.empty() ? "" : why) + " |\n";
  }
  s += "\n" + std::to_string(run.results.size()) + " cases: " + std::to_string(agree) + " agree, " +
       std::to_string(deviation) + " documented KVM deviations, " + std::to_string(host) +
       " deviations of this vendor module, " + std::to_string(disagree) + " disagree, " +
       std::to_string(other) + " not testable here or bad pairs\n";
  return s;
}

}  // namespace vcpuspec::capture
