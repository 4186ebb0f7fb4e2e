#include "readers/json.hpp"

#include <cstdio>

namespace vcpuspec::json {

const Value* Value::find(std::string_view key) const {
  for (const auto& [k, v] : members)
    if (k == key) return &v;
  return nullptr;
}

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::Null: return "null";
    case Value::Kind::Bool: return "a boolean";
    case Value::Kind::Number: return "a number";
    case Value::Kind::String: return "a string";
    case Value::Kind::Array: return "an array";
    case Value::Kind::Object: return "an object";
  }
  return "a value";
}

namespace {

class Parser {
 public:
  Parser(std::string_view t, Error& e, const Limits& l) : t_(t), err_(e), lim_(l) {}

  std::optional<Value> run() {
    if (t_.size() > lim_.max_bytes) return fail("input is larger than " + std::to_string(lim_.max_bytes >> 20) + " MiB");
    if (t_.size() >= 3 && t_.substr(0, 3) == "\xEF\xBB\xBF") advance(3);  // UTF-8 BOM
    ws();
    if (pos_ >= t_.size()) return fail("empty input: expected a JSON object");
    std::optional<Value> v = value(0);
    if (!v) return std::nullopt;
    ws();
    if (pos_ < t_.size()) return fail("unexpected '" + printable(t_[pos_]) + "' after the end of the JSON value");
    return v;
  }

 private:
  static std::string printable(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) return std::string(1, c);
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", u);
    return buf;
  }
  std::nullopt_t fail(std::string msg) {
    if (err_.message.empty()) {
      err_.line = line_;
      err_.col = col_;
      err_.message = std::move(msg);
    }
    return std::nullopt;
  }
  void advance(size_t n = 1) {
    for (size_t i = 0; i < n && pos_ < t_.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(t_[pos_++]);
      if (c == '\n') { ++line_; col_ = 1; }
      else if ((c & 0xC0) != 0x80) ++col_;
    }
  }
  void ws() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\n' || t_[pos_] == '\r')) advance();
  }
  bool lit(std::string_view w) {
    if (t_.substr(pos_, w.size()) != w) return false;
    advance(w.size());
    return true;
  }

  std::optional<Value> value(size_t depth) {
    if (depth > lim_.max_depth) return fail("JSON nested deeper than " + std::to_string(lim_.max_depth) + " levels");
    ws();
    Value v;
    v.line = line_;
    v.col = col_;
    if (pos_ >= t_.size()) return fail("unexpected end of input: expected a value");
    char c = t_[pos_];
    if (c == '{') return object(v, depth);
    if (c == '[') return array(v, depth);
    if (c == '"') {
      v.kind = Value::Kind::String;
      if (!string(v.text)) return std::nullopt;
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number(v);
    if (lit("true")) { v.kind = Value::Kind::Bool; v.boolean = true; return v; }
    if (lit("false")) { v.kind = Value::Kind::Bool; return v; }
    if (lit("null")) return v;
    return fail("unexpected '" + printable(c) + "': expected a JSON value");
  }

  std::optional<Value> object(Value& v, size_t depth) {
    v.kind = Value::Kind::Object;
    advance();  // {
    ws();
    if (pos_ < t_.size() && t_[pos_] == '}') { advance(); return v; }
    for (;;) {
      ws();
      if (pos_ >= t_.size()) return fail("unexpected end of input inside an object");
      if (t_[pos_] != '"') return fail("expected a quoted key, found '" + printable(t_[pos_]) + "'");
      uint32_t kl = line_, kc = col_;
      std::string key;
      if (!string(key)) return std::nullopt;
      ws();
      if (pos_ >= t_.size() || t_[pos_] != ':') return fail("expected ':' after key \"" + key + "\"");
      advance();
      std::optional<Value> item = value(depth + 1);
      if (!item) return std::nullopt;
      item->key_line = kl;
      item->key_col = kc;
      v.members.push_back(Member{std::move(key), std::move(*item)});
      ws();
      if (pos_ >= t_.size()) return fail("unexpected end of input inside an object");
      if (t_[pos_] == ',') { advance(); continue; }
      if (t_[pos_] == '}') { advance(); return v; }
      return fail("expected ',' or '}' in an object, found '" + printable(t_[pos_]) + "'");
    }
  }

  std::optional<Value> array(Value& v, size_t depth) {
    v.kind = Value::Kind::Array;
    advance();  // [
    ws();
    if (pos_ < t_.size() && t_[pos_] == ']') { advance(); return v; }
    for (;;) {
      std::optional<Value> item = value(depth + 1);
      if (!item) return std::nullopt;
      v.items.push_back(std::move(*item));
      ws();
      if (pos_ >= t_.size()) return fail("unexpected end of input inside an array");
      if (t_[pos_] == ',') { advance(); continue; }
      if (t_[pos_] == ']') { advance(); return v; }
      return fail("expected ',' or ']' in an array, found '" + printable(t_[pos_]) + "'");
    }
  }

  std::optional<Value> number(Value& v) {
    v.kind = Value::Kind::Number;
    size_t start = pos_;
    if (t_[pos_] == '-') advance();
    if (pos_ >= t_.size() || !(t_[pos_] >= '0' && t_[pos_] <= '9')) return fail("malformed number");
    if (t_[pos_] == '0' && pos_ + 1 < t_.size() && t_[pos_ + 1] >= '0' && t_[pos_ + 1] <= '9')
      return fail("malformed number: leading zero (write hex values as strings, \"0x...\")");
    while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') advance();
    if (pos_ < t_.size() && t_[pos_] == '.') {
      advance();
      if (pos_ >= t_.size() || !(t_[pos_] >= '0' && t_[pos_] <= '9')) return fail("malformed number");
      while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') advance();
    }
    if (pos_ < t_.size() && (t_[pos_] == 'e' || t_[pos_] == 'E')) {
      advance();
      if (pos_ < t_.size() && (t_[pos_] == '+' || t_[pos_] == '-')) advance();
      if (pos_ >= t_.size() || !(t_[pos_] >= '0' && t_[pos_] <= '9')) return fail("malformed number");
      while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') advance();
    }
    v.text = std::string(t_.substr(start, pos_ - start));
    return v;
  }

  static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  static void put_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  bool hex4(uint32_t& cp) {
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      if (pos_ >= t_.size() || hexval(t_[pos_]) < 0) return fail("bad \\u escape: expected 4 hex digits"), false;
      cp = cp * 16 + static_cast<uint32_t>(hexval(t_[pos_]));
      advance();
    }
    return true;
  }

  bool string(std::string& out) {
    advance();  // opening quote
    for (;;) {
      if (pos_ >= t_.size()) return fail("unterminated string"), false;
      unsigned char c = static_cast<unsigned char>(t_[pos_]);
      if (c == '"') { advance(); return true; }
      if (c < 0x20) return fail("control character in a string (escape it)"), false;
      if (c == '\\') {
        advance();
        if (pos_ >= t_.size()) return fail("unterminated string"), false;
        char e = t_[pos_];
        advance();
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            uint32_t cp;
            if (!hex4(cp)) return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              uint32_t lo;
              if (!lit("\\u") || !hex4(lo) || lo < 0xDC00 || lo > 0xDFFF)
                return fail("unpaired UTF-16 surrogate in \\u escape"), false;
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return fail("unpaired UTF-16 surrogate in \\u escape"), false;
            }
            put_utf8(out, cp);
            break;
          }
          default: return fail(std::string("bad escape '\\") + printable(e) + "'"), false;
        }
        continue;
      }
      // Copy one UTF-8 sequence, validating it.
      size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
      if (len == 0 || pos_ + len > t_.size()) return fail("invalid UTF-8 in a string"), false;
      for (size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(t_[pos_ + k]) & 0xC0) != 0x80) return fail("invalid UTF-8 in a string"), false;
      out.append(t_.substr(pos_, len));
      advance(len);
    }
  }

  std::string_view t_;
  Error& err_;
  const Limits& lim_;
  size_t pos_ = 0;
  uint32_t line_ = 1, col_ = 1;
};

}  // namespace

std::optional<Value> parse(std::string_view text, Error& err, const Limits& limits) {
  return Parser(text, err, limits).run();
}

}  // namespace vcpuspec::json
