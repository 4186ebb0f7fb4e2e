// The dump readers on small inputs: fields, conversions, control words,
// inferred values, noise, and what stays missing.
#include <catch2/catch.hpp>

#include <string>

#include "engine/not_loaded.hpp"
#include "readers/detect.hpp"
#include "readers/slot_writer.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;
using readers::Origin;

namespace {

readers::Inputs read(const std::string& text, const std::string& format = "auto", const std::string& flavor = "",
                     std::vector<std::pair<std::string, uint64_t>> config = {}) {
  readers::ReadOptions o;
  o.flavor = flavor;
  o.config = std::move(config);
  auto r = readers::read_any(text, "t.txt", format, test::slots(), o);
  if (auto* e = std::get_if<readers::ReadError>(&r)) FAIL(e->format());
  return std::get<readers::Inputs>(std::move(r));
}

size_t id(const char* name) {
  long i = readers::find_slot(test::slots(), name);
  REQUIRE(i >= 0);
  return static_cast<size_t>(i);
}
bool has(const readers::StateInput& in, const char* n) { return in.state.has(id(n)); }
uint64_t val(const readers::StateInput& in, const char* n) {
  INFO(n);
  REQUIRE(in.state.has(id(n)));
  return in.state.get(id(n));
}
Origin org(const readers::StateInput& in, const char* n) { return in.origin[id(n)]; }

const char* kQemu64 =
    "KVM internal error. Suberror: 1\n"
    "RAX=ffff8000fee000f0 RBX=0000000000000000 RCX=000000000000001b RDX=00000000fee000f0\n"
    "RIP=ffff80000020ea22 RFL=00010086 [--S--P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"
    "CS =0010 0000000000000000 00000000 00209900 DPL=0 CS64 [--A]\n"
    "SS =0020 0000000000000000 00000000 00009300 DPL=0 DS   [-WA]\n"
    "DS =0000 0000000000000000 00000000 00000000\n"
    "GDT=     ffff800001415000 00000fff\n"
    "CR0=80000033 CR2=0000000000000000 CR3=0000000001413000 CR4=000626e8\n"
    "DR0=0000000000000000 DR1=0000000000000000 DR2=0000000000000000 DR3=0000000000000000 \n"
    "DR6=00000000ffff0ff0 DR7=0000000000000400\n"
    "EFER=0000000000000d01\n";

}  // namespace

TEST_CASE("readers: formats are detected from content", "[readers]") {
  auto fmt = [](const std::string& t) { auto d = readers::detect_format(t); return d ? d->format : std::string("none"); };
  CHECK(fmt("  {\"state\": {}}") == "json");
  CHECK(fmt(kQemu64) == "qemu");
  CHECK(fmt("[ 1.0] kvm_intel: *** Guest State ***\nCR0: actual=0x0") == "kvm-vmcs");
  CHECK(fmt("(XEN) *** Guest State ***\n(XEN) CR0: actual=0x1") == "xen-vmcs");
  CHECK(fmt("kvm_amd: VMCB Control Area:\n") == "kvm-vmcb");
  CHECK(fmt("cr0 = 0x60000010\nrip = 0xfff0\n") == "kvm-sregs");
  CHECK(fmt("hello world\nEAX is a register\n") == "none");
  // kvm_regs/kvm_sregs fields as tools print them: one per line, a register
  // table, gdb's struct (wrapped too), under dmesg prefixes.
  CHECK(fmt("RIP: 0x7fffff5c5f40     RFLAGS: 0x46\n") == "kvm-sregs");
  CHECK(fmt("$1 = {cs = {base = 0, type = 11 '\\v'}, cr0 = 1610612752, efer = 0}\n") == "kvm-sregs");
  CHECK(fmt("$1 = {gdt = {base = 0}, cr0 = 0x31, cr2 = \n0x0,\n   cr3 = 0xa709000, cr4 = 0x1}\n") == "kvm-sregs");
  CHECK(fmt("[  12.345][T78789] cr0 = 0x60000010\n[  12.345][T78789] rip = 0xfff0\n") == "kvm-sregs");
  // Prose, specs and tables that name registers are no dump.
  CHECK(fmt("  CR0 = 0x60000010 cite sdm \"Table 9-1\" vol 3;\n  CR3 = 0;\n  CR4 = 0;\n  EFER = 0 cite sdm;\n") == "none");
  CHECK(fmt("RESET leaves CR0 = 0x60000010, CR2 = CR3 = CR4 = EFER = 0, RIP = 0xFFF0, RFLAGS = 0x2.\n") == "none");
  CHECK(fmt("- CR0 = 0x60000010, DR6 = 0xFFFF0FF0, RIP = FFF0h\n") == "none");
  CHECK(fmt("            19. CR0 := 0x60000010\n   start.EFER.LME=1, start.CR0.PE=1\n") == "none");
  CHECK(fmt("| CR0 = 0x33 (PE) | EFER = 0x801 | RIP = 0x1000 |\n") == "none");
}

TEST_CASE("readers: QEMU 64-bit layout, segment flags as VMX access rights", "[readers]") {
  auto v = read(kQemu64);
  REQUIRE(v.size() == 1);
  const auto& in = v[0];
  CHECK(in.format == "qemu");
  CHECK(in.flavor == "arch");
  CHECK(val(in, "RAX") == 0xffff8000fee000f0ULL);
  CHECK(val(in, "RIP") == 0xffff80000020ea22ULL);
  CHECK(val(in, "RFLAGS") == 0x10086);
  CHECK(val(in, "CS.ar") == 0x2099);  // type 9, S, P, L
  CHECK(val(in, "SS.ar") == 0x93);
  CHECK(val(in, "DS.ar") == 0);  // not present: QEMU says nothing more
  CHECK(val(in, "GDTR.base") == 0xffff800001415000ULL);
  CHECK(val(in, "GDTR.limit") == 0xfff);
  CHECK(val(in, "EFER") == 0xd01);
  CHECK(val(in, "CR0") == 0x80000033);
  CHECK(org(in, "CR0") == Origin::Given);
  // CR4 is printed cast to 32 bits: its upper half is inferred, not given.
  CHECK(org(in, "CR4") == Origin::Inferred);
  // Not shown: never guessed.
  CHECK_FALSE(has(in, "APIC_BASE"));
  CHECK_FALSE(has(in, "XCR0"));
}

TEST_CASE("readers: QEMU read as vmx gets KVM's VMCS view, inferred", "[readers]") {
  auto v = read(kQemu64, "auto", "vmx");
  const auto& in = v[0];
  CHECK(in.flavor == "vmx");
  CHECK(in.flavor_origin == Origin::Set);
  CHECK(val(in, "entry.ia32e_mode_guest") == 1);
  CHECK(org(in, "entry.ia32e_mode_guest") == Origin::Inferred);
  CHECK(val(in, "CR4") == (0x626e8 | 0x2000));  // VMXE
  CHECK(val(in, "DS.ar") == 0x10000);         // not present -> unusable
  CHECK(org(in, "DS.ar") == Origin::Inferred);
  // What --expect compares: the guest's own values.
  auto guest = readers::guest_visible(in);
  CHECK(val(guest, "CR4") == 0x626e8);
  CHECK(org(guest, "CR4") == Origin::Inferred);  // QEMU prints CR4 cast to 32 bits
  CHECK(val(guest, "DS.ar") == 0);
}

// QEMU's system_reset state (qemu_i386_reset.txt's registers, DS not accessed), and the
// VMCS KVM builds from it, read at v6.12 (vmx_set_cr0, vmx_set_cr4,
// enter_rmode, fix_rmode_seg, vmx_set_rflags, vmx_load_mmu_pgd).
const char* kQemuReset =
    "EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000663\n"
    "ESI=00000000 EDI=00000000 EBP=00000000 ESP=00000000\n"
    "EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"
    "ES =0000 00000000 0000ffff 00009300\n"
    "CS =f000 ffff0000 0000ffff 00009b00\n"
    "SS =0000 00000000 0000ffff 00009300\n"
    "DS =0000 00000000 0000ffff 00009200\n"
    "FS =0000 00000000 0000ffff 00009300\n"
    "GS =0000 00000000 0000ffff 00009300\n"
    "LDT=0000 00000000 0000ffff 00008200\n"
    "TR =0000 00000000 0000ffff 00008b00\n"
    "GDT=     00000000 0000ffff\n"
    "IDT=     00000000 0000ffff\n"
    "CR0=60000010 CR2=00000000 CR3=00000000 CR4=00000000\n"
    "EFER=0000000000000000\n";

TEST_CASE("readers: QEMU read as vmx without unrestricted guest gets the VMCS KVM runs it with", "[readers]") {
  auto in = read(kQemuReset, "auto", "vmx", {{"vmx.unrestricted_guest", 0}, {"vmx.ept", 1}})[0];
  CHECK(val(in, "CR0") == 0x80000031);  // PE, PG, NE forced; CD, NW cleared
  CHECK(val(in, "CR4") == 0x2011);      // VME, PSE (the identity map), VMXE; PAE off with EPT and paging off
  CHECK(val(in, "CR3") == 0xfeffc000);  // QEMU's KVM_IDENTITY_BASE
  CHECK(val(in, "RFLAGS") == 0x23002);  // VM, IOPL=3
  CHECK(val(in, "CS.ar") == 0xf3);      // DPL 3, type 3
  CHECK(val(in, "DS.ar") == 0xf2);      // DPL 3; KVM leaves the accessed bit without unrestricted guest
  CHECK(val(in, "CS.base") == 0xffff0000);  // emulate_invalid_guest_state: base and selector as they were
  CHECK(val(in, "TR.base") == 0xfeffd000);
  CHECK(val(in, "TR.limit") == 0x2088);
  CHECK(val(in, "TR.ar") == 0x8b);
  CHECK(org(in, "CR0") == Origin::Inferred);
  CHECK(in.vmm_emulates_invalid_segments);
  // --expect compares the guest's own values.
  auto guest = readers::guest_visible(in);
  CHECK(val(guest, "CR0") == 0x60000010);
  CHECK(val(guest, "CR3") == 0);
  CHECK(val(guest, "RFLAGS") == 2);
  CHECK(val(guest, "CS.ar") == 0x9b);
  CHECK(val(guest, "TR.base") == 0);

  // Without EPT: CR0.WP too, PAE kept, and CR3 is KVM's shadow root, which no dump shows.
  auto shadow = read(kQemuReset, "auto", "vmx", {{"vmx.unrestricted_guest", 0}, {"vmx.ept", 0}})[0];
  CHECK(val(shadow, "CR0") == 0x80010031);
  CHECK(val(shadow, "CR4") == 0x2021);
  CHECK_FALSE(has(shadow, "CR3"));
  CHECK(val(readers::guest_visible(shadow), "CR3") == 0);
  // EPT unknown: what depends on it stays unknown.
  auto unsure = read(kQemuReset, "auto", "vmx", {{"vmx.unrestricted_guest", 0}})[0];
  CHECK(val(unsure, "CR0") == 0x80000031);
  CHECK_FALSE(has(unsure, "CR4"));
  CHECK_FALSE(has(unsure, "CR3"));
  // The control word decides as the feature does.
  auto by_control = read(kQemuReset, "auto", "vmx", {{"secondary.unrestricted_guest", 0}, {"secondary.enable_ept", 1}})[0];
  CHECK(val(by_control, "CR4") == 0x2011);

  // Unpaged protected mode: PG forced, no vm86, segments as the guest has them.
  std::string pmode = kQemuReset;
  pmode.replace(pmode.find("CR0=60000010"), 12, "CR0=00000011");
  auto pm = read(pmode, "auto", "vmx", {{"vmx.unrestricted_guest", 0}, {"vmx.ept", 1}})[0];
  CHECK(val(pm, "CR0") == 0x80000031);
  CHECK(val(pm, "RFLAGS") == 2);
  CHECK(val(pm, "CS.ar") == 0x9b);
  CHECK(val(pm, "CR4") == 0x2010);
  CHECK(val(pm, "TR.base") == 0);

  // With unrestricted guest KVM sets the accessed bit (__vmx_set_segment);
  // not knowing which leaves the field unknown.
  auto ug = read(kQemuReset, "auto", "vmx", {{"vmx.unrestricted_guest", 1}})[0];
  CHECK(val(ug, "DS.ar") == 0x93);
  CHECK(val(ug, "CR0") == 0x30);
  CHECK_FALSE(ug.vmm_emulates_invalid_segments);
  auto either = read(kQemuReset, "auto", "vmx")[0];
  CHECK_FALSE(has(either, "DS.ar"));
  CHECK(val(either, "CS.ar") == 0x9b);
  CHECK(val(readers::guest_visible(either), "DS.ar") == 0x92);
}

TEST_CASE("readers: a QEMU dump its poster re-wrapped keeps every register", "[readers]") {
  // Three registers a line where QEMU prints four, and DR6/DR7 moved up:
  // the second line joins the first as a wrap, the third starts inside a group.
  const std::string text =
      "EAX=00000001 EBX=00000002 ECX=00000003\n"
      "EDX=00000663 ESI=00000005 EDI=00000006\n"
      "EBP=00000007 ESP=00000008\n"
      "EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"
      "CS =f000 ffff0000 0000ffff 00009b00\n"
      "GDT=     00000000 0000ffff\n"
      "CR0=60000010 CR2=00000000\n"
      "CR3=00000000 CR4=00000000\n"
      "DR0=00000000 DR1=00000000 DR2=00000000\n"
      "DR3=00000000 DR6=ffff0ff0 DR7=00000400\n"
      "EFER=0000000000000000\n";
  auto in = read(text)[0];
  CHECK(val(in, "RDX") == 0x663);
  CHECK(val(in, "RSI") == 5);
  CHECK(val(in, "RDI") == 6);
  CHECK(val(in, "RBP") == 7);
  CHECK(val(in, "RSP") == 8);
  CHECK(val(in, "CR3") == 0);
  CHECK(val(in, "DR6") == 0xffff0ff0);
  CHECK(val(in, "DR7") == 0x400);
  for (const auto& n : in.notes) CHECK_THAT(n.text, !Catch::Contains("cut short"));
}

TEST_CASE("readers: QEMU's header says which hypervisor failed", "[readers]") {
  std::string body = "EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000663\nEIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\n";
  auto vmx = read("KVM: entry failed, hardware error 0x80000021\n" + body);
  CHECK(vmx[0].flavor == "vmx");
  CHECK(vmx[0].flavor_origin == Origin::Inferred);
  CHECK(vmx[0].vendor == "intel");
  auto svm = read("KVM: entry failed, hardware error 0xffffffff\n" + body);
  CHECK(svm[0].flavor == "svm");
  CHECK(svm[0].vendor == "amd");
  CHECK(val(svm[0], "intercept.vmrun") == 1);
  auto none = read("KVM: entry failed, hardware error 0x0\n" + body);
  CHECK(none[0].flavor == "arch");
}

TEST_CASE("readers: QEMU's 32-bit layout: upper halves 0 outside long mode, unknown in compatibility mode", "[readers]") {
  std::string regs = "EAX=00000001 EBX=00000000 ECX=00000000 EDX=00000000\n"
                     "EIP=00001000 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"
                     "DR0=0000000000000000 DR1=0000000000000000 DR2=0000000000000000 DR3=0000000000000000 \n";
  auto legacy = read(regs + "EFER=0000000000000000\n")[0];
  CHECK(val(legacy, "RIP") == 0x1000);
  CHECK(org(legacy, "RIP") == Origin::Inferred);
  auto compat = read(regs + "EFER=0000000000000500\n")[0];
  CHECK_FALSE(has(compat, "RIP"));
  CHECK_FALSE(has(compat, "RAX"));
  // qemu-system-i386 (8-digit DRs): 32-bit registers are the whole register.
  auto i386 = read("EAX=00000001 EBX=00000000 ECX=00000000 EDX=00000000\nDR0=00000000 DR1=00000000 DR2=00000000 DR3=00000000\n",
                   "qemu")[0];
  CHECK(org(i386, "RAX") == Origin::Given);
}

TEST_CASE("readers: QEMU -a gives one state per CPU", "[readers]") {
  std::string cpu = "EAX=00000000 EBX=00000000 ECX=00000000 EDX=00060fb1\nCR0=60000010 CR2=00000000 CR3=00000000 CR4=00000000\n";
  auto v = read("\nCPU#0\n" + cpu + "\nCPU#1\n" + cpu);
  REQUIRE(v.size() == 2);
  CHECK(v[0].part == "CPU#0");
  CHECK(v[1].part == "CPU#1");
  CHECK(v[1].name() == "t.txt [CPU#1]");
}

TEST_CASE("readers: noise is removed where the value stays certain", "[readers]") {
  // E-mail quoting, a wrap inside a number (joined: full width), a wrap that
  // leaves a number short (unreadable), HTML markup and an interleaved log line.
  std::string t =
      "> RAX=ffff8000fee000f0 RBX=0000000000000000 RCX=000000000000001b RDX=00000\n"
      "> 000fee000f0\n"
      "> CR0=80000033 CR2=0000000000000000 CR3=<a href=\"x\">0000000001413000</a> CR4=000626e8\n"
      "> [ 12.5] usb 1-1: new device\n"
      "> EFER=0000000000000d\n";
  auto v = read(t);
  const auto& in = v[0];
  CHECK(val(in, "RDX") == 0xfee000f0);
  CHECK(val(in, "CR3") == 0x1413000);
  CHECK_FALSE(has(in, "EFER"));
  bool noted = false;
  for (const auto& n : in.notes) noted |= n.text.find("EFER unreadable") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("readers: dump_vmcs control words split by the spec's bit numbers", "[readers]") {
  std::string t =
      "*** Guest State ***\n"
      "CR0: actual=0x0000000000000030, shadow=0x0000000060000010, gh_mask=fffffffffffefff7\n"
      "CS:   sel=0xf000, attr=0x0009b, limit=0x0000ffff, base=0x00000000ffff0000\n"
      "GDTR:                           limit=0x0000ffff, base=0x0000000000000000\n"
      "Interruptibility = 00000000  ActivityState = 00000003\n"
      "*** Control State ***\n"
      "PinBased=00000028 CPUBased=b5a06dfa SecondaryExec=00000082\n"
      "EntryControls=0000c3ff ExitControls=002befff\n"
      "VMEntry: intr_info=80000b0e errcode=00000002 ilen=00000000\n";
  auto in = read(t)[0];
  CHECK(in.format == "kvm-vmcs");
  CHECK(in.flavor == "vmx");
  CHECK(val(in, "CR0") == 0x30);  // actual, not the shadow
  CHECK(val(in, "CS.ar") == 0x9b);
  CHECK(val(in, "ACTIVITY_STATE") == 3);
  CHECK(val(in, "pin.nmi_exiting") == 1);
  CHECK(val(in, "pin.virtual_nmis") == 1);
  CHECK(val(in, "secondary.unrestricted_guest") == 1);
  CHECK(val(in, "secondary.enable_ept") == 1);
  CHECK(val(in, "entry.ia32e_mode_guest") == 1);
  CHECK(val(in, "entry.load_efer") == 1);
  CHECK(val(in, "entry.intr_info") == 0x80000b0e);
  CHECK(val(in, "entry.exception_errcode") == 2);
  CHECK(val(in, "vmx.unrestricted_guest") == 1);
  CHECK(org(in, "vmx.unrestricted_guest") == Origin::Inferred);
  // Primary bit 31 clear: the secondary controls are off whatever the word says.
  auto off = read(
      "*** Guest State ***\nCR3 = 0x0000000000000000\n*** Control State ***\nPinBased=00000000 CPUBased=35a06dfa "
      "SecondaryExec=00000082\n")[0];
  CHECK(val(off, "secondary.unrestricted_guest") == 1);  // as printed: the reader does not judge
  CHECK_FALSE(has(off, "vmx.unrestricted_guest"));       // an inactive control proves no capability
  engine::drop_not_loaded(test::slots(), off);           // `activates secondary`: VM entry reads them as 0
  CHECK(val(off, "secondary.unrestricted_guest") == 0);
  CHECK(val(off, "secondary.other_bits") == 0);
  CHECK(org(off, "secondary.unrestricted_guest") == Origin::Inferred);
  bool noted = false;
  for (const auto& n : off.notes)
    noted |= n.text == "primary.activate_secondary=0, so VM entry reads every secondary control as 0 (ignored: "
                       "secondary.enable_ept=1, secondary.unrestricted_guest=1)";
  CHECK(noted);
}

TEST_CASE("readers: every 1-bit VMX control is a bit of its word, every VMCB control a bit at an offset", "[readers]") {
  size_t vmx = 0, vmcb = 0;
  for (const rt::SlotInfo& s : test::slots()) {
    if (s.kind != rt::SlotKind::Control || s.width != 1) continue;
    std::string n = s.name;
    INFO(n);
    for (const char* word : {"pin", "primary", "secondary", "entry", "exit"})
      if (n.rfind(std::string(word) + ".", 0) == 0) {
        CHECK(std::string(s.word) == word);  // the reader's name for the word
        CHECK(s.bit >= 0);
        ++vmx;
      }
    if (n.rfind("intercept.", 0) == 0 || n == "np_enable") {
      CHECK(s.word_offset >= 0);
      CHECK(s.bit >= 0);
      ++vmcb;
    }
  }
  CHECK(vmx == 47);
  CHECK(vmcb == 3);
}

TEST_CASE("readers: dump_vmcb attrib, intercept words old and new, EVENTINJ", "[readers]") {
  std::string save =
      "VMCB State Save Area:\n"
      "cs:   s: 0010 a: 029b l: ffffffff b: 0000000000000000\n"
      "cpl:            0                efer:         0000000000001d01\n"
      "cr0:            0000000080050033 cr2:          0000000000000000\n"
      "gpat:           0007040600070406 dbgctl:       0000000000000000\n";
  auto old = read("VMCB Control Area:\nintercepts:         00000001ae6f000f\nnested_ctl:         1\nevent_inj:          80000b0e\n"
                  "event_inj_err:      00000002\n" + save)[0];
  CHECK(old.flavor == "svm");
  CHECK(val(old, "CS.ar") == 0x209b);  // L from attrib bit 9
  CHECK(val(old, "EFER") == 0x1d01);
  CHECK(val(old, "PAT") == 0x0007040600070406ULL);
  CHECK(val(old, "intercept.vmrun") == 1);  // bit 32 of the old 64-bit word
  CHECK(val(old, "intercept.nmi") == 1);
  CHECK(val(old, "np_enable") == 1);
  CHECK(val(old, "event_inj") == 0x0000000280000b0eULL);
  auto cur = read("VMCB Control Area:\nintercepts:         8c8e000d 000bfffe\n" + save)[0];
  CHECK(val(cur, "intercept.vmrun") == 0);
  CHECK(val(cur, "intercept.nmi") == 0);
  CHECK_FALSE(has(cur, "event_inj"));
}

TEST_CASE("readers: Xen columns and parts", "[readers]") {
  auto v = read(
      "(XEN) d12v0 vmentry failure (reason 0x80000021): Invalid guest state (0)\n"
      "(XEN) *** Guest State ***\n"
      "(XEN)   CS: 0010 0a09b ffffffff 0000000000000000\n"
      "(XEN) GDTR:            0000007f ffff88001f40c000\n"
      "(XEN) PreemptionTimer = 0x00000000  SM Base = 0x00030000\n");
  REQUIRE(v.size() == 1);
  CHECK(v[0].format == "xen-vmcs");
  CHECK(v[0].part == "d12v0");
  CHECK(val(v[0], "CS.ar") == 0xa09b);
  CHECK(val(v[0], "GDTR.limit") == 0x7f);
  CHECK(val(v[0], "GDTR.base") == 0xffff88001f40c000ULL);
  CHECK(val(v[0], "SMBASE") == 0x30000);
}

TEST_CASE("readers: kvm_sregs text in its three shapes", "[readers]") {
  auto gdb = read("$2 = {cs = {base = 4294901760, limit = 65535, selector = 61440, type = 11 '\\v', present = 1 '\\001', "
                  "dpl = 0 '\\000', db = 0 '\\000', s = 1 '\\001', l = 0 '\\000', g = 0 '\\000', avl = 0 '\\000', "
                  "unusable = 0 '\\000', padding = 0 '\\000'}, gdt = {base = 0, limit = 65535, padding = {0, 0, 0}}, "
                  "cr0 = 1610612752, efer = 0, apic_base = 4276095232, interrupt_bitmap = {0, 0, 0, 0}}\n")[0];
  CHECK(val(gdb, "CS.ar") == 0x9b);
  CHECK(val(gdb, "CS.base") == 0xffff0000);
  CHECK(val(gdb, "GDTR.limit") == 0xffff);
  CHECK(val(gdb, "APIC_BASE") == 0xfee00900);
  auto km = read("RIP: 0x7fff RFLAGS: 0x46\nDS  base: 0x0 limit:0x0 selector: 0x0 type: 0x0 present: 0x0\n"
                 "    dpl:0x0 db:0x0 s:0x0 l:0x0 g:0x0 avl:0x0 unusable:0x1\ncr0: 0x80050033\n")[0];
  CHECK(val(km, "DS.ar") == 0x10000);
  CHECK(val(km, "CR0") == 0x80050033);
  auto fields = read("cr0 = 0x10\nrip = 0xfff0\nmsr 0x277 = 0x0007040600070406\ncs.selector = 0xf000\n")[0];
  CHECK(val(fields, "PAT") == 0x0007040600070406ULL);
  CHECK(val(fields, "CS.sel") == 0xf000);
  CHECK_FALSE(has(fields, "CS.ar"));  // no attribute fields shown
  // Read as vmx or svm, KVM_GET_SREGS text gets the VMCS/VMCB view the QEMU
  // reader gives, and keeps the guest's values for --expect.
  const char* sregs = "cr0 = 0x60000010\ncr4 = 0x0\nefer = 0x0\nds.selector = 0x0\nds.present = 0x0\n";
  auto vmx = read(sregs, "auto", "vmx")[0];
  CHECK(val(vmx, "CR0") == 0x30);  // NE set, CD and NW clear (KVM_VM_CR0_ALWAYS_OFF)
  CHECK(val(readers::guest_visible(vmx), "CR0") == 0x60000010);
  CHECK(val(vmx, "CR4") == 0x2000);      // VMXE
  CHECK(org(vmx, "CR4") == Origin::Inferred);
  CHECK(val(vmx, "entry.ia32e_mode_guest") == 0);
  CHECK(val(readers::guest_visible(vmx), "CR4") == 0);
  auto svm = read(sregs, "auto", "svm")[0];
  CHECK(val(svm, "EFER") == 0x1000);  // SVME
  CHECK(val(svm, "intercept.vmrun") == 1);
  CHECK(val(readers::guest_visible(svm), "EFER") == 0);
}

TEST_CASE("readers: a forced format that finds nothing is one positioned error", "[readers]") {
  for (const char* f : {"qemu", "kvm-vmcs", "kvm-vmcb", "xen-vmcs", "kvm-sregs"}) {
    auto r = readers::read_any("nothing here\n", "x.txt", f, test::slots(), {});
    REQUIRE(std::holds_alternative<readers::ReadError>(r));
    CHECK(std::get<readers::ReadError>(r).format().rfind("x.txt:1:1: error: ", 0) == 0);
  }
}

TEST_CASE("readers: attribute layouts convert to VMX access rights", "[readers]") {
  CHECK(readers::ar_from_qemu_flags(0x00c09b00) == 0xc09b);
  CHECK(readers::ar_from_qemu_flags(0x00a09b00) == 0xa09b);
  CHECK(readers::ar_from_vmcb_attrib(0x0c93) == 0xc093);
  CHECK(readers::ar_from_vmcb_attrib(0x029b) == 0x209b);
  CHECK(readers::ar_from_vmcb_attrib(0x0fff) == 0xf0ff);
}

TEST_CASE("readers: a QEMU header after a finished dump is the next dump's", "[readers]") {
  // Two logs one after the other: `info registers -a`, then an internal error
  // whose header both vCPUs print before their dumps.
  std::string text = test::read_text(test::source_dir() + "/tests/data/dumps/qemu_kvm_reset_smp2.txt") + "\n" +
                     test::read_text(test::source_dir() + "/tests/data/dumps/qemu_two_dumps_real_mode.txt");
  readers::Inputs in = read(text, "qemu");
  REQUIRE(in.size() == 4);
  auto noted = [](const readers::StateInput& s) {
    for (const readers::ReaderNote& n : s.notes)
      if (n.text.find("KVM internal error") != std::string::npos) return true;
    return false;
  };
  CHECK(in[1].part == "CPU#1");
  CHECK_FALSE(noted(in[1]));
  CHECK(noted(in[2]));
  CHECK_FALSE(noted(in[3]));  // the second vCPU's header was printed with the first's: one note
}

TEST_CASE("readers: a wrap that parts a key from its value or a field from its line", "[readers]") {
  // An HTML tag split by the wrap runs on into the next line.
  auto html = read("RAX=0000000000000000 RBX=0000000000000000 RCX=0000000000000000 RDX=0000000000000000\n"
                   "RIP=<a\nhref=\"https://example.invalid/x\">ffff80000020ea22</a> RFL=00010086 [--S--P-] CPL=0 II=0 A20=1 SMM=0 "
                   "HLT=0\nCR0=80000033 CR2=0000000000000000 CR3=0000000001413000 CR4=000626e8\n")[0];
  CHECK(val(html, "RIP") == 0xffff80000020ea22ULL);
  // A VMCB header ending in ':' is whole; "efer:" is only ever after "cpl:",
  // and intercepts are one 16-digit word or two of 8.
  auto vmcb = read("VMCB Control Area:\nintercepts:         8c8e000d\n000bfffe\nVMCB State Save Area:\n"
                   "es:   s: 0018 a: 0c93 l: ffffffff b:\n0000000000000000\n"
                   "vmpl: 0   cpl:  0\nefer:          0000000000001d01\n")[0];
  CHECK(val(vmcb, "ES.sel") == 0x18);
  CHECK(val(vmcb, "ES.base") == 0);
  CHECK(val(vmcb, "EFER") == 0x1d01);
  CHECK(val(vmcb, "intercept.vmrun") == 0);
  // dump_vmcs: the second PDPTR of a line, and PAT after a pre-5.12 EFER.
  auto vmcs = read("*** Guest State ***\nCR3 = 0x0000000000f76000\nPDPTR0 = 0x000000005e0e5001\nPDPTR1 = 0x000000005e0e4001\n"
                   "EFER =     0x0000000000000d01  PAT =\n0x0407050600070106\n", "kvm-vmcs")[0];
  CHECK(val(vmcs, "PDPTE1") == 0x5e0e4001);
  CHECK(val(vmcs, "PAT") == 0x0407050600070106ULL);
  // Xen: a wrapped second field of a line.
  auto xen = read("(XEN) *** Guest State ***\n(XEN) PDPTE0 = 0x0000000000000001  PDPTE1 =\n0x0000000000000002\n"
                  "(XEN) *** Control State ***\n(XEN) TSC Offset = 0xfffff418a22ef5c2  TSC Multiplier =\n0x0000000000000000\n")[0];
  CHECK(val(xen, "PDPTE1") == 2);
  CHECK(val(xen, "vmx.tsc_multiplier") == 0);
  // gdb: a key whose '= value' went to the next line; a heading ending in
  // ':' is no key, and the line after it is its own.
  auto gdb = read("vcpu 0 after INIT:\nrip = 0xfff2\n$2 = {ldt = {base = 0, limit = 65535, selector = 0, type\n= 2 '\\002', "
                  "present = 1 '\\001', dpl = 0 '\\000', db = 0 '\\000', s = 0 '\\000', l = 0 '\\000', g = 0 '\\000', avl = 0 "
                  "'\\000', unusable = 0 '\\000', padding = 0 '\\000'}, cr0 =\n1610612752, efer = 0}\n")[0];
  CHECK(val(gdb, "RIP") == 0xfff2);
  CHECK(val(gdb, "LDTR.ar") == 0x82);
  CHECK(val(gdb, "CR0") == 0x60000010);
}

TEST_CASE("readers: fragments read for what they hold; a paste with only a failure line is an error that says so", "[readers]") {
  // KVM's 6.x header, then guest lines without '*** Guest State ***'.
  auto kvm = read("[ 12.3] kvm_intel: VMCS 000000001234abcd, last attempted VM-entry on CPU 3\n"
                  "[ 12.3] kvm_intel: CR0: actual=0x0000000080050033, shadow=0x0000000080050033, gh_mask=fffffffffffffff7\n");
  REQUIRE(kvm.size() == 1);
  CHECK(kvm[0].format == "kvm-vmcs");
  CHECK(kvm[0].part == "VM-entry on CPU 3");
  CHECK(val(kvm[0], "CR0") == 0x80050033);
  // Xen's failure line, then guest lines.
  auto xen = read("(XEN) d1v0 vmentry failure (reason 0x80000021): Invalid guest state (0)\n"
                  "(XEN) CR0: actual=0x0000000000000031, shadow=0x0000000000000011, gh_mask=ffffffffffffffff\n");
  REQUIRE(xen.size() == 1);
  CHECK(xen[0].format == "xen-vmcs");
  CHECK(xen[0].part == "d1v0");
  CHECK(val(xen[0], "CR0") == 0x31);
  // QEMU cut before its RIP line: the register lines alone are QEMU's.
  auto qemu = read("RAX=0000000000000000 RBX=0000000000000000 RCX=0000000000000000 RDX=0000000000000663\n");
  CHECK(qemu[0].format == "qemu");
  CHECK(val(qemu[0], "RDX") == 0x663);
  // Only the line a dump follows: exit 3 with where and why.
  for (const char* only : {"KVM internal error. Suberror: 1\nemulation failure\n",
                           "(XEN) d1v0 vmentry failure (reason 0x80000021): Invalid guest state (0)\n",
                           "kvm_intel: VMCS 000000001234abcd, last attempted VM-entry on CPU 3\n"}) {
    auto r = readers::read_any(only, "x.txt", "auto", test::slots(), {});
    REQUIRE(std::holds_alternative<readers::ReadError>(r));
    CHECK_THAT(std::get<readers::ReadError>(r).format(), Catch::Contains("x.txt:1:") && Catch::Contains("nothing to check"));
  }
}

TEST_CASE("readers: a paste of two formats gives a state for each, lines numbered in the paste", "[readers]") {
  std::string vmcs = "*** Guest State ***\n"
                     "CR0: actual=0x0000000080050033, shadow=0x0000000080050033, gh_mask=fffffffffffffff7\n"
                     "CR4: actual=0x00000000003726f0, shadow=0x00000000003706f0, gh_mask=fffffffffffef871\n";
  auto v = read(std::string("KVM: entry failed, hardware error 0x80000021\n") + kQemu64 + vmcs);
  REQUIRE(v.size() == 2);
  CHECK(v[0].format == "qemu");
  CHECK(v[1].format == "kvm-vmcs");
  CHECK(v[1].part == "kvm-vmcs at line 13");
  CHECK(val(v[1], "CR4") == 0x3726f0);
  CHECK(val(v[0], "CR4") == 0x626e8);
  // The other order, and a part that does not read is named on the rest.
  auto w = read(vmcs + "VMCB Control Area:\n" + kQemu64);
  REQUIRE(w.size() == 2);
  bool named = false;
  for (const auto& n : w[0].notes) named |= n.text.find("look like kvm-vmcb but were not read") != std::string::npos;
  CHECK(named);
}

TEST_CASE("readers: more of what pastes do: elided timestamps, forum list items, quoted indentation, quoted-printable", "[readers]") {
  auto elided = read("[\xE2\x80\xA6] *** Guest State ***\n"
                     "[\xE2\x80\xA6] CR0: actual=0x0000000080040033, shadow=0x0000000080050033, gh_mask=fffffffffffefff7\n"
                     "[...] CR3 = 0x0000000002684000\n");
  CHECK(val(elided[0], "CR0") == 0x80040033);
  CHECK(val(elided[0], "CR3") == 0x2684000);
  auto forum = read("[*]EAX=00000000 EBX=00000000 ECX=00000046 EDX=00000001 \n"
                    "[*]EIP=f000ff53 EFL=00250012 [----A--] CPL=0 II=0 A20=1 SMM=0 HLT=0 \n");
  CHECK(val(forum[0], "RIP") == 0xf000ff53);
  auto quoted = read(">    RAX=0000000000000000 RBX=0000000000000000 RCX=0000000000000000 RDX=0000000000000f61\n"
                     ">    RIP=000000000000fff0 RFL=00010002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\n");
  CHECK(val(quoted[0], "RDX") == 0xf61);
  CHECK(val(quoted[0], "RIP") == 0xfff0);
  // Raw quoted-printable: "=3D", "=C2=A0", and a soft break inside a key.
  auto qp = read("(XEN) *** Guest State ***\n(XEN) CR0: actual=3D0x0000000080050031, shadow=3D0x0000000080050031, gh_ma=\n"
                 "sk=3Dffffffffffffffff\n(XEN)=C2=A0=C2=A0 CS: 0010 0209b 00000000 0000000000000000\n");
  CHECK(val(qp[0], "CR0") == 0x80050031);
  CHECK(val(qp[0], "CS.ar") == 0x209b);
  // Decoded once: "=3D3D3D..." decodes to more "=3D", which is text then.
  auto nested = readers::read_any("=3D" + std::string(200000, 'D'), "x.txt", "auto", test::slots(), {});
  CHECK(std::holds_alternative<readers::ReadError>(nested));
  // The control section's tail alone, and a dump of which no value reads.
  auto tail = read("VMExit: intr_info=00000000 errcode=00000000 ilen=00000003\n"
                   "         reason=80000021 qualification=0000000000000003\nEPT pointer = 0x00000001c4f5101e\n");
  CHECK(tail[0].format == "kvm-vmcs");
  CHECK(val(tail[0], "vmx.eptp") == 0x1c4f5101eULL);
  auto none = readers::read_any("*** Guest State ***\nCR0: actual=0xzz\n", "x.txt", "auto", test::slots(), {});
  REQUIRE(std::holds_alternative<readers::ReadError>(none));
  CHECK_THAT(std::get<readers::ReadError>(none).format(), Catch::Contains("no value could be read"));
}

TEST_CASE("readers: dumps with their headers elided are read from keys printed in one place only", "[readers]") {
  auto vmcb = read("KVM: FAILED VMRUN WITH VMCB:\n[...]\ncpl: 0 efer: 0000000000001000\ncr0: 0000000080010010 cr2: "
                   "00007fd7fe85bf90\n[...]\n");
  REQUIRE(vmcb.size() == 1);
  CHECK(val(vmcb[0], "EFER") == 0x1000);
  CHECK(val(vmcb[0], "CR0") == 0x80010010);
  bool paged_real = false;
  for (const auto& n : vmcb[0].notes) paged_real |= n.text.find("paged real mode") != std::string::npos;
  CHECK(paged_real);
  auto xen = read("(XEN) d12v0 vmentry failure (reason 0x80000021): Invalid guest state (0)\n...\n"
                  "(XEN) RFLAGS=0x00000002 (0x00000002)  DR7 = 0x4000000000000001\n");
  CHECK(val(xen[0], "DR7") == 0x4000000000000001ULL);
  auto reset = read("CPU Reset (CPU 0)\nEAX=00000000 EBX=00000000 ECX=00000000 EDX=00000000\n"
                    "EIP=00000000 EFL=00000000 [-------] CPL=0 II=0 A20=0 SMM=0 HLT=0\n");
  CHECK(reset[0].part == "CPU Reset (CPU 0)");
  bool zeroed = false;
  for (const auto& n : reset[0].notes) zeroed |= n.text.find("zeroed CPUState") != std::string::npos;
  CHECK(zeroed);
}

TEST_CASE("readers: a paste that ends inside a record says where it was cut", "[readers]") {
  auto notes = [](const readers::StateInput& in) {
    std::string all;
    for (const readers::ReaderNote& n : in.notes) all += std::to_string(n.line) + ": " + n.text + "\n";
    return all;
  };
  // Every reader: its last record cut mid-value, or mid-line.
  struct Case {
    const char* text;
    const char* line;
  };
  for (const Case& c : {Case{"RAX=0000000000000000 RBX=0000000000000000 RCX=0000000000000000 RDX=0000000000000663\n"
                             "RIP=000000000000fff0 RFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"
                             "CR0=60000010 CR2=0000000000000000 CR3=00000000",
                             "3: the paste ends inside this line ('...CR2=0000000000000000 CR3=00000000')"},
                        Case{"*** Guest State ***\n"
                             "CR0: actual=0x0000000080050033, shadow=0x0000000080050033, gh_mask=fffffffffffffff7\n"
                             "CR4: actual=0x00000000003726e0, shadow=0x00000000003706e0, gh_mask=ffff\n",
                             "3: the paste ends inside this line ("},
                        Case{"(XEN) d1v0 vmentry failure (reason 0x80000021): Invalid guest state (0)\n"
                             "(XEN) *** Guest State ***\n"
                             "(XEN) CR0: actual=0x0000000000000031, shadow=0x0000000000000011, gh_mask=ffffffff\n",
                             "3: the paste ends inside this line ("}}) {
    INFO(c.text);
    auto in = read(c.text);
    REQUIRE(in.size() == 1);
    CHECK_THAT(notes(in[0]), Catch::Contains(c.line) && Catch::Contains("it was cut here"));
  }
  // A whole dump, and one cut between lines, are not cut mid-line.
  auto whole = read(kQemu64);
  CHECK_THAT(notes(whole[0]), !Catch::Contains("the paste ends inside"));
  auto between = read("*** Guest State ***\n"
                      "CR0: actual=0x0000000080050033, shadow=0x0000000080050033, gh_mask=fffffffffffffff7\n");
  CHECK_THAT(notes(between[0]), !Catch::Contains("the paste ends inside"));
}
