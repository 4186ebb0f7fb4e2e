#include "readers/pieces.hpp"

#include <algorithm>
#include <variant>

namespace vcpuspec::readers {

namespace {

// Appends up to `n` bytes of `in`; false at the end of the input.
bool read_more(std::istream& in, std::string& buf, size_t n) {
  size_t had = buf.size();
  buf.resize(had + n);
  in.read(buf.data() + had, static_cast<std::streamsize>(n));
  buf.resize(had + static_cast<size_t>(in.gcount()));
  return static_cast<bool>(in);
}

ReadError too_large(const std::string& file) {
  return ReadError{file, 0, 0, "cannot read: input larger than 256 MiB with no QEMU dump start to cut it at"};
}

}  // namespace

std::optional<ReadError> read_pieces(std::istream& in, const std::string& file, const std::string& format, Slots slots,
                                     const ReadOptions& o, const EachInput& each) {
  std::string buf;
  bool more = read_more(in, buf, kPieceBytes + 1);
  if (in.bad()) return ReadError{file, 0, 0, "cannot read: read error"};
  // Set once the first piece decided the format, as `auto` would for the whole.
  std::optional<Detected> detected;
  auto whole = [&]() -> std::optional<ReadError> {
    while (more) {
      if (buf.size() > kMaxWhole) return ReadError{file, 0, 0, "cannot read: input larger than 256 MiB"};
      more = read_more(in, buf, kPieceBytes);
    }
    if (in.bad()) return ReadError{file, 0, 0, "cannot read: read error"};
    ReadResult r = read_any(buf, file, detected ? detected->format : format, slots, o);  // not detected twice
    if (auto* e = std::get_if<ReadError>(&r)) return *e;
    for (StateInput& s : std::get<Inputs>(r)) {
      if (detected) note_detected(s, *detected);
      each(s);
    }
    return std::nullopt;
  };
  if (!more) return whole();
  // Only QEMU logs are cut (the format of fuzzer runs and most archives).
  if (format == "auto") detected = detect_format(buf);
  const std::string fmt = format == "auto" ? (detected ? detected->format : "") : format;
  if (fmt != "qemu") return whole();

  ReadOptions po = o;
  po.piece = true;
  size_t states = 0;
  std::optional<ReadError> first_error;
  for (bool last = false; !last;) {
    size_t cut = std::string::npos;
    if (more) {
      cut = qemu_last_dump_start(buf);
      if (cut == std::string::npos) {
        if (buf.size() > kMaxWhole) return too_large(file);
        more = read_more(in, buf, kPieceBytes);
        continue;
      }
    } else {
      last = true;
      cut = buf.size();
    }
    ReadResult r = read_qemu(std::string_view(buf).substr(0, cut), file, slots, po);
    if (auto* e = std::get_if<ReadError>(&r)) {
      // A piece of log lines between dumps holds no dump: only an input
      // with none at all is an error.
      if (!first_error) first_error = *e;
    } else {
      for (StateInput& s : std::get<Inputs>(r)) {
        if (detected) note_detected(s, *detected);
        each(s);
        ++states;
        ++po.dumps_before;
      }
    }
    po.first_line += static_cast<uint32_t>(std::count(buf.begin(), buf.begin() + static_cast<long>(cut), '\n'));
    buf.erase(0, cut);
    if (more) more = read_more(in, buf, kPieceBytes);
    if (in.bad()) return ReadError{file, 0, 0, "cannot read: read error"};
  }
  if (states == 0 && first_error) return first_error;
  return std::nullopt;
}

}  // namespace vcpuspec::readers
