// Walks ANTLR's parse tree and builds the project's own AST.
#include "front/parse.hpp"

#include <antlr4-runtime.h>

#include <algorithm>
#include <set>
#include <type_traits>

#include "VSpecLexer.h"
#include "VSpecParser.h"

namespace vcpuspec::front {
namespace {

using P = vspec_antlr::VSpecParser;

// ANTLR reports errors through listeners; this one turns them into diagnostics.
class ErrorCollector : public antlr4::BaseErrorListener {
 public:
  ErrorCollector(uint32_t file, Diagnostics& diags) : file_(file), diags_(diags) {}
  void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t line, size_t col,
                   const std::string& msg, std::exception_ptr) override {
    diags_.error(Loc{file_, static_cast<uint32_t>(line), static_cast<uint32_t>(col + 1)},
                 "syntax error: " + shorten(msg));
  }

 private:
  // ANTLR lists every token it could accept; past a handful that is noise.
  static std::string shorten(const std::string& msg) {
    auto open = msg.find("expecting {");
    if (open == std::string::npos) return msg;
    auto close = msg.find('}', open);
    if (close == std::string::npos) return msg;
    std::string inner = msg.substr(open + 11, close - open - 11);
    size_t commas = 0, cut = std::string::npos;
    for (size_t i = 0; i < inner.size(); ++i)
      if (inner[i] == ',' && ++commas == 6) cut = i;
    if (cut == std::string::npos) return msg;
    return msg.substr(0, open) + "expecting one of {" + inner.substr(0, cut) + ", ...}";
  }
  uint32_t file_;
  Diagnostics& diags_;
};

class Builder {
 public:
  Builder(uint32_t file, Diagnostics& diags) : file_(file), diags_(diags) {}

  ast::SpecFile build(P::SpecContext* spec) {
    ast::SpecFile out;
    out.file_id = file_;
    for (auto* d : spec->decl()) decl(d, out);
    return out;
  }

 private:
  Loc loc(antlr4::Token* t) const {
    if (!t) return Loc{file_, 0, 0};
    return Loc{file_, static_cast<uint32_t>(t->getLine()),
               static_cast<uint32_t>(t->getCharPositionInLine() + 1)};
  }
  Loc loc(antlr4::ParserRuleContext* c) const { return c ? loc(c->getStart()) : Loc{file_, 0, 0}; }
  Loc loc(antlr4::tree::TerminalNode* n) const { return n ? loc(n->getSymbol()) : Loc{file_, 0, 0}; }
  // A context whose subtree failed to parse can have null children.
  static bool ok(antlr4::ParserRuleContext* c) { return c != nullptr && c->exception == nullptr; }

  ast::Int integer(antlr4::tree::TerminalNode* n) {
    ast::Int v;
    if (!n) return v;
    v.text = n->getText();
    v.loc = loc(n);
    const std::string& t = v.text;
    unsigned base = 10;
    size_t i = 0;
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) { base = 16; i = 2; }
    else if (t.size() > 2 && t[0] == '0' && (t[1] == 'b' || t[1] == 'B')) { base = 2; i = 2; }
    unsigned __int128 acc = 0;
    bool digits = false;
    for (; i < t.size(); ++i) {
      char c = t[i];
      if (c == '_') continue;
      unsigned d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
      acc = acc * base + d;
      digits = true;
      if (acc > UINT64_MAX) { v.overflow = true; acc = 0; break; }
    }
    if (!digits) diags_.error(v.loc, "integer literal '" + t + "' has no digits");
    v.value = static_cast<uint64_t>(acc);
    return v;
  }

  static std::string unquote(const std::string& s) {
    std::string out;
    if (s.size() < 2) return out;
    for (size_t i = 1; i + 1 < s.size(); ++i) {
      char c = s[i];
      if (c == '\\' && i + 2 < s.size()) {
        char n = s[++i];
        out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
      } else {
        out += c;
      }
    }
    return out;
  }
  ast::Text text(antlr4::tree::TerminalNode* n) {
    if (!n) return {};
    return ast::Text{interpolate(unquote(n->getText())), loc(n)};
  }
  // `cite "free text"`, or `cite KIND "locator" [fn NAME] [at "VERSION"]
  // [vol N] ["detail"]`: checked here, rendered to the text reports print.
  ast::Text citation(P::CitationContext* c) {
    if (!c) return {};
    if (auto* x = dynamic_cast<P::TextCitationContext*>(c)) return text(x->STRING());
    auto* x = dynamic_cast<P::SourceCitationContext*>(c);
    if (!x || !x->kind) return {};
    Citation src;
    std::string vol;
    src.kind = x->kind->getText();
    src.loc = loc(x->kind);
    auto strings = x->STRING();
    if (!strings.empty()) src.locator = text(strings[0]).value;
    if (strings.size() > 1) src.detail = text(strings[1]).value;
    for (auto* a : x->citeAttr()) {
      if (!a->key || !a->value) continue;
      const std::string key = a->key->getText();
      std::string value = a->value->getText();
      if (a->value->getType() == vspec_antlr::VSpecLexer::STRING) value = interpolate(unquote(value));
      std::string* slot = key == "fn" ? &src.fn : key == "at" ? &src.at : key == "vol" ? &vol : nullptr;
      if (!slot) {
        diags_.error(loc(a->key), "unknown citation attribute '" + key + "': `fn NAME`, `at \"VERSION\"` or `vol N`");
      } else if (!slot->empty()) {
        diags_.error(loc(a->key), "`" + key + "` is given twice in one citation");
      } else {
        *slot = value;
      }
    }
    if (!vol.empty()) {
      // A volume is a small decimal number; citation_problem checks its range.
      bool digits = vol.size() <= 2 && std::all_of(vol.begin(), vol.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      if (digits) src.vol = static_cast<unsigned>(std::stoul(vol));
      else diags_.error(src.loc, "`vol` takes a volume number, not '" + vol + "'");
    }
    if (std::string why = citation_problem(src); !why.empty()) diags_.error(src.loc, why);
    ast::Text out{render(src), src.loc};
    out.source = std::move(src);
    return out;
  }

  std::string doc(P::DocContext* d) { return d && d->STRING() ? unquote(d->STRING()->getText()) : ""; }

  // A name as written, with a `forall` variable at its head replaced by the
  // member of this copy (`S.ar.P` -> `DS.ar.P`).
  ast::QName qname(P::QnameContext* q) { return qname(q, false); }
  // A declaration's id: a `forall` variable is replaced wherever it stands
  // (`VMX.GS.SEG.S.P` -> `VMX.GS.SEG.DS.P`).
  ast::QName decl_id(P::QnameContext* q) { return qname(q, true); }

  ast::QName qname(P::QnameContext* q, bool every_part) {
    ast::QName out;
    if (!q) return out;
    out.loc = loc(q);
    for (auto* id : q->IDENT()) {
      const ast::QName* member = (every_part || out.parts.empty()) ? bound(id->getText()) : nullptr;
      if (member) {
        // The member's own position: an error in it points at the `forall` list.
        out.parts.insert(out.parts.end(), member->parts.begin(), member->parts.end());
        out.part_locs.insert(out.part_locs.end(), member->part_locs.begin(), member->part_locs.end());
      } else {
        out.parts.push_back(id->getText());
        out.part_locs.push_back(loc(id));
      }
    }
    return out;
  }

  ast::BitRange bit_range(P::BitRangeContext* r) {
    ast::BitRange b;
    b.loc = loc(r);
    auto ints = r->INT();
    if (ints.empty()) return b;
    b.hi = integer(ints[0]);
    b.lo = ints.size() > 1 ? integer(ints[1]) : b.hi;
    return b;
  }

  std::vector<ast::FieldItem> fields(P::BodyContext* body) {
    std::vector<ast::FieldItem> out;
    if (!body || !body->fieldBlock()) return out;
    for (auto* it : body->fieldBlock()->fieldItem()) {
      ast::FieldItem f;
      f.loc = loc(it);
      if (auto* n = dynamic_cast<P::NamedFieldContext*>(it)) {
        if (!n->IDENT() || !n->bitRange()) continue;
        f.kind = ast::FieldItem::Kind::Named;
        f.name = n->IDENT()->getText();
        f.ranges.push_back(bit_range(n->bitRange()));
        f.doc = doc(n->doc());
      } else if (auto* a = dynamic_cast<P::AliasFieldContext*>(it)) {
        if (!a->IDENT() || !a->bitRange()) continue;
        f.kind = ast::FieldItem::Kind::Alias;
        f.name = a->IDENT()->getText();
        f.ranges.push_back(bit_range(a->bitRange()));
        f.doc = doc(a->doc());
      } else if (auto* r = dynamic_cast<P::ReservedBitsContext*>(it)) {
        f.kind = ast::FieldItem::Kind::Reserved;
        for (auto* br : r->bitRange()) f.ranges.push_back(bit_range(br));
      } else if (auto* x = dynamic_cast<P::FixedOneBitsContext*>(it)) {
        f.kind = ast::FieldItem::Kind::Fixed1;
        for (auto* br : x->bitRange()) f.ranges.push_back(bit_range(br));
      } else {
        continue;
      }
      out.push_back(std::move(f));
    }
    return out;
  }

  void decl(P::DeclContext* d, ast::SpecFile& out) {
    if (!d) return;
    if (auto* w = d->withBlock()) return with_block(w, out);
    if (auto* fa = d->forallBlock()) return forall_block(fa, out);
    if (!forall_.empty() && !d->checkDecl() && !d->nonCheckDecl() && !d->transitionDecl() && !d->modeDecl() &&
        !d->propertyDecl()) {
      diags_.error(loc(d), "only checks, nonchecks, transitions, modes and properties can be declared inside "
                           "`forall`: one copy per member would declare the same name again");
      return;
    }
    if (auto* r = d->registerDecl()) {
      ast::RegisterDecl reg;
      reg.name = qname(r->qname());
      reg.width = integer(r->INT());
      reg.doc = doc(r->doc());
      reg.fields = fields(r->body());
      if (!reg.name.parts.empty()) out.registers.push_back(std::move(reg));
    } else if (auto* m = d->msrDecl()) {
      ast::RegisterDecl reg;
      reg.is_msr = true;
      reg.name = qname(m->qname());
      auto ints = m->INT();
      if (ints.size() >= 2) {
        reg.msr_index = integer(ints[0]);
        reg.width = integer(ints[1]);
      }
      reg.doc = doc(m->doc());
      reg.fields = fields(m->body());
      if (!reg.name.parts.empty()) out.registers.push_back(std::move(reg));
    } else if (auto* s = d->structDecl()) {
      ast::StructDecl st;
      st.name = s->IDENT() ? s->IDENT()->getText() : "";
      st.loc = loc(s->IDENT());
      st.doc = doc(s->doc());
      for (auto* mem : s->memberDecl()) {
        ast::MemberDecl md;
        md.name = mem->IDENT() ? mem->IDENT()->getText() : "";
        md.loc = loc(mem->IDENT());
        md.width = integer(mem->INT());
        md.doc = doc(mem->doc());
        md.fields = fields(mem->body());
        if (!md.name.empty()) st.members.push_back(std::move(md));
      }
      if (!st.name.empty()) out.structs.push_back(std::move(st));
    } else if (auto* g = d->groupDecl()) {
      ast::GroupDecl gd;
      gd.kind = g->kind && g->kind->getText() == "dtable" ? ast::GroupDecl::Kind::Dtable
                                                           : ast::GroupDecl::Kind::Segment;
      for (auto* q : g->qname()) gd.names.push_back(qname(q));
      gd.struct_name = g->IDENT() ? g->IDENT()->getText() : "";
      gd.struct_loc = loc(g->IDENT());
      gd.doc = doc(g->doc());
      if (!gd.struct_name.empty()) out.groups.push_back(std::move(gd));
    } else if (auto* p = d->paramDecl()) {
      ast::ParamDecl pd;
      pd.name = qname(p->qname());
      if (auto* rng = dynamic_cast<P::ParamRangeContext*>(p->paramType())) {
        pd.ranged = true;
        auto ints = rng->INT();
        if (ints.size() >= 2) {
          pd.lo = integer(ints[0]);
          pd.hi = integer(ints[1]);
        }
      } else if (auto* w = dynamic_cast<P::ParamWidthContext*>(p->paramType())) {
        pd.width = integer(w->INT());
      }
      pd.def = expr(p->expr());
      pd.doc = doc(p->doc());
      if (!pd.name.parts.empty()) out.params.push_back(std::move(pd));
    } else if (auto* f = d->featureDecl()) {
      ast::FeatureDecl fd;
      fd.name = qname(f->qname());
      fd.def = expr(f->expr());
      fd.doc = doc(f->doc());
      if (!fd.name.parts.empty()) out.features.push_back(std::move(fd));
    } else if (auto* c = d->controlDecl()) {
      ast::ControlDecl cd;
      cd.name = qname(c->qname());
      if (c->INT()) cd.width = integer(c->INT());
      cd.def = expr(c->expr());
      cd.doc = doc(c->doc());
      if (!cd.name.parts.empty()) out.controls.push_back(std::move(cd));
    } else if (auto* cw = d->controlWordDecl()) {
      control_word(cw, out);
    } else if (auto* df = d->defDecl()) {
      ast::DefDecl dd;
      dd.name = df->IDENT() ? df->IDENT()->getText() : "";
      dd.loc = loc(df->IDENT());
      for (auto* prm : df->defParam()) {
        ast::DefParam dp;
        auto ids = prm->IDENT();
        dp.name = ids.empty() ? "" : ids[0]->getText();
        dp.loc = ids.empty() ? Loc{file_, 0, 0} : loc(ids[0]);
        if (prm->INT()) {
          dp.width = integer(prm->INT());
        } else if (ids.size() > 1) {
          dp.type = ids[1]->getText();
          dp.type_loc = loc(ids[1]);
        }
        dd.params.push_back(std::move(dp));
      }
      dd.doc = doc(df->doc());
      dd.body = expr(df->expr());
      if (!dd.name.empty() && dd.body) out.defs.push_back(std::move(dd));
    } else if (auto* ck = d->checkDecl()) {
      with_predicate(ck, out.checks);
    } else if (auto* nc = d->nonCheckDecl()) {
      noncheck(nc, out);
    } else if (auto* tr = d->transitionDecl()) {
      transition(tr, out);
    } else if (auto* md = d->modeDecl()) {
      with_predicate(md, out.modes);
    } else if (auto* st = d->stateDecl()) {
      state(st, out);
    } else if (auto* v = d->varDecl()) {
      ast::VarDecl vd;
      vd.name = qname(v->qname());
      vd.type = type_ref(v->typeRef());
      vd.def = expr(v->expr());
      vd.doc = doc(v->doc());
      if (!vd.name.parts.empty()) out.vars.push_back(std::move(vd));
    } else if (auto* e = d->eventDecl()) {
      ast::EventDecl ed;
      for (auto* q : e->qname()) ed.names.push_back(qname(q));
      ed.doc = doc(e->doc());
      out.events.push_back(std::move(ed));
    } else if (auto* o = d->opDecl()) {
      ast::OpDecl od;
      od.name = qname(o->qname());
      for (auto* f : o->formal()) od.formals.push_back(formal(f));
      od.doc = doc(o->doc());
      for (auto* c : o->citation()) od.cites.push_back(citation(c));
      inherit(kCite, nullptr, nullptr, &od.cites);
      od.body = block(o->block());
      if (!od.name.parts.empty()) out.ops.push_back(std::move(od));
    } else if (auto* fl = d->flowDecl()) {
      ast::FlowDecl fd;
      fd.name = qname(fl->qname());
      for (auto* f : fl->formal()) fd.formals.push_back(formal(f));
      fd.doc = doc(fl->doc());
      for (auto* cl : fl->flowClause()) {
        if (auto* x = dynamic_cast<P::FlowCiteContext*>(cl)) fd.cites.push_back(citation(x->citation()));
        else if (auto* x = dynamic_cast<P::FlowKernelContext*>(cl)) fd.kernels.push_back(text(x->STRING()));
        else if (auto* x = dynamic_cast<P::FlowScopeContext*>(cl))
          if (x->IDENT()) fd.scopes.push_back(ast::Text{x->IDENT()->getText(), loc(x->IDENT())});
      }
      inherit(kScope | kCite, &fd.scopes, nullptr, &fd.cites);
      fd.body = block(fl->block());
      if (!fd.name.parts.empty()) out.flows.push_back(std::move(fd));
    } else if (auto* in = d->instructionDecl()) {
      instruction(in, out);
    } else if (auto* pr = d->propertyDecl()) {
      property(pr, out);
    }
  }

  void instruction(P::InstructionDeclContext* in, ast::SpecFile& out) {
    ast::InstructionDecl x;
    x.loc = loc(in);
    x.signal = in->kind && in->kind->getText() == "signal";
    x.id = decl_id(in->qname());
    x.label = text(in->STRING());
    for (auto* cl : in->instrClause()) {
      if (auto* c = dynamic_cast<P::InstrCiteContext*>(cl)) {
        x.cites.push_back(citation(c->citation()));
      } else if (auto* c = dynamic_cast<P::InstrNoteContext*>(cl)) {
        x.notes.push_back(text(c->STRING()));
      } else if (auto* c = dynamic_cast<P::InstrOnContext*>(cl)) {
        if (!c->IDENT()) continue;
        if (c->IDENT()->getText() != "on") {
          diags_.error(loc(c->IDENT()), "expected `on REGISTER`, `cite` or `note` in " + std::string(x.signal ? "signal" : "instruction") +
                                            " '" + x.id.str() + "', found '" + c->IDENT()->getText() + "'");
          continue;
        }
        for (auto* q : c->qname()) x.on.push_back(qname(q));
      }
    }
    inherit(kCite, nullptr, nullptr, &x.cites);
    x.body = block(in->block());
    if (!x.id.parts.empty() && in->STRING()) out.instructions.push_back(std::move(x));
  }

  ast::TypeRef type_ref(P::TypeRefContext* t) {
    ast::TypeRef r;
    r.loc = loc(t);
    if (auto* w = dynamic_cast<P::WidthTypeContext*>(t)) {
      r.kind = ast::TypeRef::Kind::Width;
      r.width = integer(w->INT());
    } else if (dynamic_cast<P::BoolTypeContext*>(t)) {
      r.kind = ast::TypeRef::Kind::Bool;
    } else if (auto* l = dynamic_cast<P::LayoutTypeContext*>(t)) {
      r.kind = ast::TypeRef::Kind::Layout;
      r.layout = l->IDENT() ? l->IDENT()->getText() : "";
    }
    return r;
  }

  ast::Formal formal(P::FormalContext* f) {
    ast::Formal out;
    out.name = f->IDENT() ? f->IDENT()->getText() : "";
    out.loc = loc(f->IDENT());
    out.type = type_ref(f->typeRef());
    return out;
  }

  ast::Block block(P::BlockContext* b) {
    ast::Block out;
    statements(b, out);
    return out;
  }

  // A block's statements into `out`; a `forall S in {...} { ... }` adds its
  // body once per member, with S replaced, as the declaration form does.
  void statements(P::BlockContext* b, ast::Block& out) {
    if (!b) return;
    for (auto* st : b->stmt()) {
      if (auto* fa = dynamic_cast<P::ForallStmtContext*>(st)) {
        std::vector<ast::QName> members = forall_head(fa->IDENT(), fa->qname());
        for (const ast::QName& m : members) {
          if (!spend(fa)) return;
          forall_.push_back(Binding{fa->IDENT()->getText(), &m});
          statements(fa->block(), out);
          forall_.pop_back();
        }
        continue;
      }
      if (auto s = stmt(st)) out.push_back(std::move(s));
    }
  }

  ast::StmtPtr if_stmt(P::IfStmtContext* x) {
    if (!x) return nullptr;
    auto s = std::make_unique<ast::Stmt>();
    s->kind = ast::Stmt::Kind::If;
    s->loc = loc(x);
    s->value = expr(x->expr());
    if (!s->value) return nullptr;
    auto blocks = x->block();
    if (!blocks.empty()) s->then_block = block(blocks[0]);
    if (blocks.size() > 1) s->else_block = block(blocks[1]);
    else if (x->ifStmt())
      if (auto nested = if_stmt(x->ifStmt())) s->else_block.push_back(std::move(nested));
    return s;
  }

  ast::StmtPtr stmt(P::StmtContext* st) {
    if (!st) return nullptr;
    if (auto* x = dynamic_cast<P::IfStatementContext*>(st)) return if_stmt(x->ifStmt());
    auto s = std::make_unique<ast::Stmt>();
    s->loc = loc(st);
    if (auto* x = dynamic_cast<P::LetStmtContext*>(st)) {
      s->kind = ast::Stmt::Kind::Let;
      s->local = x->IDENT() ? x->IDENT()->getText() : "";
      s->value = expr(x->expr());
      if (s->local.empty() || !s->value) return nullptr;
    } else if (auto* x = dynamic_cast<P::AssignStmtContext*>(st)) {
      s->kind = ast::Stmt::Kind::Assign;
      s->target = qname(x->qname());
      s->value = expr(x->expr());
      if (!s->value) return nullptr;
    } else if (auto* x = dynamic_cast<P::StructAssignStmtContext*>(st)) {
      s->kind = ast::Stmt::Kind::StructAssign;
      s->target = qname(x->qname());
      for (auto* m : x->memberInit()) {
        ast::MemberInit mi;
        mi.member = qname(m->qname());
        mi.value = expr(m->expr());
        if (mi.value && !mi.member.parts.empty()) s->members.push_back(std::move(mi));
      }
    } else if (auto* x = dynamic_cast<P::EmitStmtContext*>(st)) {
      s->kind = ast::Stmt::Kind::Emit;
      s->target = qname(x->qname());
    } else if (auto* x = dynamic_cast<P::AssumeStmtContext*>(st)) {
      s->kind = ast::Stmt::Kind::Assume;
      s->value = expr(x->expr());
      if (!s->value) return nullptr;
    } else if (auto* x = dynamic_cast<P::CallStmtContext*>(st)) {
      s->kind = ast::Stmt::Kind::Call;
      s->target = qname(x->qname());
      for (auto* a : x->expr())
        if (auto e = expr(a)) s->args.push_back(std::move(e));
    } else if (auto* x = dynamic_cast<P::AnyStmtContext*>(st)) {
      s->kind = ast::Stmt::Kind::Any;
      s->target = qname(x->qname());
    } else if (auto* x = dynamic_cast<P::StateStmtContext*>(st)) {
      s->kind = ast::Stmt::Kind::Load;
      s->local = x->IDENT() ? x->IDENT()->getText() : "";  // empty: `state := any`
      return s;
    } else {
      return nullptr;
    }
    if (s->target.parts.empty() && s->kind != ast::Stmt::Kind::Let && s->kind != ast::Stmt::Kind::Assume)
      return nullptr;
    return s;
  }

  void property(P::PropertyDeclContext* pr, ast::SpecFile& out) {
    ast::PropertyDecl p;
    p.loc = loc(pr);
    p.id = decl_id(pr->qname());
    p.text = text(pr->STRING());
    for (auto* cl : pr->propClause()) {
      if (auto* x = dynamic_cast<P::PropCiteContext*>(cl)) p.cites.push_back(citation(x->citation()));
      else if (auto* x = dynamic_cast<P::PropPatchContext*>(cl)) p.patches.push_back(text(x->STRING()));
      else if (auto* x = dynamic_cast<P::PropNoteContext*>(cl)) p.notes.push_back(text(x->STRING()));
      else if (auto* x = dynamic_cast<P::PropWhenContext*>(cl)) {
        if (auto e = expr(x->expr())) p.whens.push_back(std::move(e));
      } else if (auto* x = dynamic_cast<P::PropScopeContext*>(cl)) {
        if (x->IDENT()) p.scopes.push_back(ast::Text{x->IDENT()->getText(), loc(x->IDENT())});
      }
    }
    inherit(kScope | kWhen | kCite, &p.scopes, &p.whens, &p.cites);
    auto* f = pr->propForm();
    if (!f) return;
    p.form_loc = loc(f);
    if (auto* x = dynamic_cast<P::AlwaysFormContext*>(f)) {
      p.form = ast::PropertyDecl::Form::Always;
      p.body = expr(x->expr());
    } else if (auto* x = dynamic_cast<P::AtEventFormContext*>(f)) {
      p.form = ast::PropertyDecl::Form::AtEvent;
      p.event = qname(x->qname());
      p.body = expr(x->expr());
    } else if (auto* x = dynamic_cast<P::FinallyFormContext*>(f)) {
      p.form = ast::PropertyDecl::Form::Finally;
      p.body = expr(x->expr());
    } else if (auto* x = dynamic_cast<P::FinallyInFormContext*>(f)) {
      p.form = ast::PropertyDecl::Form::FinallyIn;
      p.state_name = x->IDENT() ? x->IDENT()->getText() : "";
      p.state_loc = loc(x->IDENT());
      for (auto* q : x->qname()) p.except.push_back(qname(q));
    } else if (auto* x = dynamic_cast<P::OrderFormContext*>(f)) {
      p.form = ast::PropertyDecl::Form::Order;
      auto qs = x->qname();
      if (qs.size() < 2) return;
      p.event = qname(qs[0]);
      p.before_event = qname(qs[1]);
    }
    if (p.id.parts.empty()) return;
    if (p.form != ast::PropertyDecl::Form::FinallyIn && p.form != ast::PropertyDecl::Form::Order && !p.body) return;
    out.properties.push_back(std::move(p));
  }

  // `check` and `mode` share a shape: id, text, clauses, one predicate.
  template <class Decl>
  void with_predicate(Decl* d, std::vector<ast::CheckDecl>& into) {
    ast::CheckDecl c;
    c.loc = loc(d);
    c.id = decl_id(d->qname());
    c.text = text(d->STRING());
    clauses(d->checkClause(), c);
    // A mode takes no scope and no condition: sema says so if it has them.
    if constexpr (std::is_same_v<Decl, P::ModeDeclContext>) inherit(kCite, nullptr, nullptr, &c.cites);
    else inherit(kScope | kWhen | kCite, &c.scopes, &c.whens, &c.cites);
    c.assertion = expr(d->expr());
    c.assert_loc = loc(d->expr());
    if (!c.id.parts.empty() && c.assertion) into.push_back(std::move(c));
  }

  void noncheck(P::NonCheckDeclContext* nc, ast::SpecFile& out) {
    ast::CheckDecl c;
    c.loc = loc(nc);
    c.id = decl_id(nc->qname());
    c.text = text(nc->STRING());
    clauses(nc->checkClause(), c);
    inherit(kScope | kCite, &c.scopes, nullptr, &c.cites);  // never evaluated: no condition
    if (!c.id.parts.empty()) out.nonchecks.push_back(std::move(c));
  }

  void transition(P::TransitionDeclContext* tr, ast::SpecFile& out) {
    ast::CheckDecl c;
    c.loc = loc(tr);
    if (!tr->qname() || !tr->onClause()) return;
    c.id = decl_id(tr->qname());
    auto* on = tr->onClause();
    if (!on->IDENT()) return;  // a syntax error, already reported
    if (on->IDENT()->getText() != "on") {
      diags_.error(loc(on->IDENT()), "expected `on REGISTER` before `assert` in transition '" + c.id.str() +
                                         "', found '" + on->IDENT()->getText() + "'");
      return;
    }
    for (auto* q : on->qname()) c.on.push_back(qname(q));
    c.text = text(tr->STRING());
    clauses(tr->checkClause(), c);
    inherit(kScope | kWhen | kCite, &c.scopes, &c.whens, &c.cites);
    c.assertion = expr(tr->expr());
    c.assert_loc = loc(tr->expr());
    if (!c.id.parts.empty() && c.assertion && !c.on.empty()) out.transitions.push_back(std::move(c));
  }

  void clauses(const std::vector<P::CheckClauseContext*>& list, ast::CheckDecl& c) {
    for (auto* cl : list) {
      if (auto* x = dynamic_cast<P::CiteClauseContext*>(cl)) c.cites.push_back(citation(x->citation()));
      else if (auto* x = dynamic_cast<P::ScopeClauseContext*>(cl)) {
        if (x->IDENT()) c.scopes.push_back(ast::Text{x->IDENT()->getText(), loc(x->IDENT())});
      } else if (auto* x = dynamic_cast<P::WhenClauseContext*>(cl)) {
        if (auto e = expr(x->expr())) c.whens.push_back(std::move(e));
      } else if (auto* x = dynamic_cast<P::OverlapsClauseContext*>(cl)) {
        for (auto* q : x->qname()) c.overlaps.push_back(decl_id(q));
      } else if (auto* x = dynamic_cast<P::NoteClauseContext*>(cl)) {
        c.notes.push_back(text(x->STRING()));
      } else if (auto* x = dynamic_cast<P::QuestionClauseContext*>(cl)) {
        if (x->IDENT()) c.questions.push_back(ast::Text{x->IDENT()->getText(), loc(x->IDENT())});
      }
    }
  }

  void state(P::StateDeclContext* st, ast::SpecFile& out) {
    ast::StateDecl s;
    if (!st->qname()) return;
    s.name = qname(st->qname()).str();
    s.loc = loc(st->qname());
    // IDENTs after the name: the previous state's name in parentheses, then the `for` state.
    for (auto* id : st->IDENT()) {
      bool after_for = false;
      for (auto* ch : st->children) {
        if (ch == id) break;
        if (auto* t = dynamic_cast<antlr4::tree::TerminalNode*>(ch); t && t->getText() == "for") after_for = true;
      }
      if (after_for) {
        s.for_state = ast::Text{id->getText(), loc(id)};
      } else {
        s.prev_name = id->getText();
        s.prev_loc = loc(id);
      }
    }
    s.doc = doc(st->doc());
    for (auto* c : st->citation()) s.cites.push_back(citation(c));
    for (auto* it : st->stateItem()) {
      ast::StateItem item;
      item.loc = loc(it);
      auto cite = [&](P::DiffersContext* d, P::ItemCiteContext* c) {
        if (d && d->IDENT() && d->STRING())
          item.differs = ast::Differs{ast::Text{d->IDENT()->getText(), loc(d->IDENT())},
                                      interpolate(unquote(d->STRING()->getText()))};
        if (c)
          for (auto* x : c->citation()) item.cites.push_back(citation(x));
      };
      if (auto* x = dynamic_cast<P::LikeItemContext*>(it)) {
        if (!x->qname()) continue;
        item.kind = ast::StateItem::Kind::Like;
        item.like_name = qname(x->qname()).str();
      } else if (auto* x = dynamic_cast<P::KeepItemContext*>(it)) {
        item.kind = ast::StateItem::Kind::Keep;
        for (auto* q : x->qname()) item.targets.push_back(qname(q));
        cite(x->differs(), x->itemCite());
      } else if (auto* x = dynamic_cast<P::UnspecifiedItemContext*>(it)) {
        item.kind = ast::StateItem::Kind::Unspecified;
        for (auto* q : x->qname()) item.targets.push_back(qname(q));
        cite(x->differs(), x->itemCite());
      } else if (auto* x = dynamic_cast<P::AssignItemContext*>(it)) {
        item.kind = ast::StateItem::Kind::Assign;
        item.targets.push_back(qname(x->qname()));
        item.value = expr(x->expr());
        if (!item.value) continue;
        cite(x->differs(), x->itemCite());
      } else if (auto* x = dynamic_cast<P::StructItemContext*>(it)) {
        item.kind = ast::StateItem::Kind::StructAssign;
        item.targets.push_back(qname(x->qname()));
        for (auto* m : x->memberInit()) {
          ast::MemberInit mi;
          mi.member = qname(m->qname());
          mi.value = expr(m->expr());
          if (mi.value && !mi.member.parts.empty()) item.members.push_back(std::move(mi));
        }
        cite(x->differs(), x->itemCite());
      } else {
        continue;
      }
      s.items.push_back(std::move(item));
    }
    out.states.push_back(std::move(s));
  }

  ast::ExprPtr make(ast::Expr::Kind k, Loc l) {
    auto e = std::make_unique<ast::Expr>();
    e->kind = k;
    e->loc = l;
    return e;
  }

  // Binary operators: the operator token sits between the two operands.
  ast::ExprPtr binary(P::ExprContext* ctx, const std::vector<P::ExprContext*>& ops) {
    if (ops.size() != 2) return nullptr;
    auto a = expr(ops[0]);
    auto b = expr(ops[1]);
    if (!a || !b) return nullptr;
    auto e = make(ast::Expr::Kind::Binary, loc(ctx));
    // The child after the first operand is the operator.
    auto* optok = dynamic_cast<antlr4::tree::TerminalNode*>(ctx->children.size() > 1 ? ctx->children[1] : nullptr);
    e->op = optok ? optok->getText() : "?";
    e->op_loc = optok ? loc(optok) : loc(ctx);
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return e;
  }

  ast::ExprPtr expr(P::ExprContext* ctx) {
    if (!ctx || ctx->exception) return nullptr;
    if (auto* x = dynamic_cast<P::PrimaryExprContext*>(ctx)) return primary(x->primary());
    if (auto* x = dynamic_cast<P::SliceExprContext*>(ctx)) {
      auto inner = expr(x->expr());
      if (!inner) return nullptr;
      auto e = make(ast::Expr::Kind::Slice, loc(ctx));
      auto ints = x->INT();
      if (ints.empty()) return nullptr;
      e->hi = integer(ints[0]);
      e->has_lo = ints.size() > 1;
      e->lo = e->has_lo ? integer(ints[1]) : e->hi;
      e->op_loc = loc(ints[0]);
      e->args.push_back(std::move(inner));
      return e;
    }
    if (auto* x = dynamic_cast<P::UnaryExprContext*>(ctx)) {
      auto inner = expr(x->expr());
      if (!inner || !x->op) return nullptr;
      auto e = make(ast::Expr::Kind::Unary, loc(ctx));
      e->op = x->op->getText();
      e->op_loc = loc(x->op);
      e->args.push_back(std::move(inner));
      return e;
    }
    if (auto* x = dynamic_cast<P::AddExprContext*>(ctx)) return binary(ctx, x->expr());
    if (auto* x = dynamic_cast<P::ShiftExprContext*>(ctx)) return binary(ctx, x->expr());
    if (auto* x = dynamic_cast<P::BitAndExprContext*>(ctx)) return binary(ctx, x->expr());
    if (auto* x = dynamic_cast<P::BitXorExprContext*>(ctx)) return binary(ctx, x->expr());
    if (auto* x = dynamic_cast<P::BitOrExprContext*>(ctx)) return binary(ctx, x->expr());
    if (auto* x = dynamic_cast<P::CompareExprContext*>(ctx)) return binary(ctx, x->expr());
    if (auto* x = dynamic_cast<P::AndExprContext*>(ctx)) return binary(ctx, x->expr());
    if (auto* x = dynamic_cast<P::OrExprContext*>(ctx)) return binary(ctx, x->expr());
    if (auto* x = dynamic_cast<P::ImpliesExprContext*>(ctx)) return binary(ctx, x->expr());
    if (auto* x = dynamic_cast<P::InExprContext*>(ctx)) {
      auto ops = x->expr();
      if (ops.size() < 2) return nullptr;
      auto e = make(ast::Expr::Kind::In, loc(ctx));
      for (auto* o : ops) {
        auto v = expr(o);
        if (!v) return nullptr;
        e->args.push_back(std::move(v));
      }
      return e;
    }
    if (auto* x = dynamic_cast<P::ForallExprContext*>(ctx)) return forall_expr(x);
    if (auto* x = dynamic_cast<P::CondExprContext*>(ctx)) {
      auto ops = x->expr();
      if (ops.size() != 3) return nullptr;
      auto e = make(ast::Expr::Kind::Cond, loc(ctx));
      for (auto* o : ops) {
        auto v = expr(o);
        if (!v) return nullptr;
        e->args.push_back(std::move(v));
      }
      return e;
    }
    return nullptr;
  }

  // A control word and its bits: each bit is a 1-bit control named after
  // the word (`entry` + `load_efer`), or as written when dotted.
  void control_word(P::ControlWordDeclContext* cw, ast::SpecFile& out) {
    ast::ControlWordDecl w;
    if (cw->qname()) w.name = qname(cw->qname());
    auto ints = cw->INT();
    if (ints.empty()) return;
    w.width = integer(ints[0]);
    if (ints.size() > 1) w.offset = integer(ints[1]);
    w.doc = doc(cw->doc());
    w.loc = loc(cw);
    if (w.name.parts.empty() && !w.offset) {
      diags_.error(w.loc, "a control word without a name needs its VMCB offset (`at 0x...`): readers find it by one or the other");
      return;
    }
    const std::string key = w.key();
    for (auto* b : cw->controlBit()) {
      if (b->qname().empty() || !b->INT()) continue;
      ast::ControlDecl c;
      c.name = qname(b->qname(0));
      if (c.name.parts.size() == 1 && !w.name.parts.empty()) {
        ast::QName full = w.name;
        full.parts.push_back(c.name.parts[0]);
        full.part_locs.push_back(c.name.part_locs[0]);
        full.loc = c.name.loc;
        c.name = std::move(full);
      }
      c.bit = integer(b->INT());
      c.word = key;
      c.def = expr(b->def);
      c.loads_else = expr(b->otherwise);
      c.doc = doc(b->doc());
      if (b->gated) c.activates = qname(b->gated);
      for (size_t i = 1; i < b->qname().size(); ++i)
        if (b->qname(i) != b->gated) c.loads.push_back(qname(b->qname(i)));
      if (!c.name.parts.empty()) out.controls.push_back(std::move(c));
    }
    out.control_words.push_back(std::move(w));
  }

  // `forall S in {A, B}: e` -> `e[S:=A] && e[S:=B]`, left to right, as if
  // written out by hand.
  ast::ExprPtr forall_expr(P::ForallExprContext* x) {
    if (!x->expr()) return nullptr;
    std::vector<ast::QName> members = forall_head(x->IDENT(), x->qname());
    if (members.empty()) return nullptr;
    const std::string var = x->IDENT()->getText();
    ast::ExprPtr acc;
    for (const ast::QName& m : members) {
      if (!spend(x->expr())) return nullptr;
      forall_.push_back(Binding{var, &m});
      ast::ExprPtr e = expr(x->expr());
      forall_.pop_back();
      if (!e) return nullptr;
      acc = acc ? conjoin(std::move(acc), std::move(e), loc(x)) : std::move(e);
    }
    return acc;
  }

  // The members of a `forall`, each once; empty after an error (a variable
  // an enclosing `forall` already binds, a member listed twice).
  std::vector<ast::QName> forall_head(antlr4::tree::TerminalNode* var, const std::vector<P::QnameContext*>& list) {
    if (!var) return {};
    if (bound(var->getText())) {
      diags_.error(loc(var), "'" + var->getText() + "' is already the variable of an enclosing `forall`");
      return {};
    }
    std::vector<ast::QName> members;
    for (auto* q : list) {
      ast::QName m = qname(q);
      for (const ast::QName& seen : members)
        if (seen.str() == m.str()) {
          diags_.error(m.loc, "'" + m.str() + "' is listed twice in this `forall`");
          return {};
        }
      members.push_back(std::move(m));
    }
    return members;
  }

  ast::ExprPtr primary(P::PrimaryContext* ctx) {
    if (!ctx || ctx->exception) return nullptr;
    if (auto* x = dynamic_cast<P::IntLitContext*>(ctx)) {
      auto e = make(ast::Expr::Kind::Int, loc(ctx));
      e->literal = integer(x->INT());
      return e;
    }
    if (dynamic_cast<P::BoolLitContext*>(ctx)) {
      auto e = make(ast::Expr::Kind::Bool, loc(ctx));
      e->literal.value = ctx->getText() == "true" ? 1 : 0;
      e->literal.text = ctx->getText();
      e->literal.loc = e->loc;
      return e;
    }
    if (auto* x = dynamic_cast<P::CallExprContext*>(ctx)) {
      auto e = make(ast::Expr::Kind::Call, loc(ctx));
      e->callee = x->IDENT() ? x->IDENT()->getText() : "";
      for (auto* a : x->expr()) {
        auto v = expr(a);
        if (!v) return nullptr;
        e->args.push_back(std::move(v));
      }
      return e;
    }
    if (auto* x = dynamic_cast<P::NameExprContext*>(ctx)) {
      auto e = make(ast::Expr::Kind::Name, loc(ctx));
      e->name = qname(x->qname());
      if (e->name.parts.empty()) return nullptr;
      return e;
    }
    if (auto* x = dynamic_cast<P::ParenExprContext*>(ctx)) return expr(x->expr());
    return nullptr;
  }

  // ---- `with` and `forall` ----------------------------------------------------
  // Both are expanded here: each declaration inside is built once per
  // `forall` member, and takes the clauses of the `with` blocks around it.
  // A clause is re-read from the parse tree for every declaration, so each
  // gets its own copy with the names of its `forall` member.

  enum Inherits : unsigned { kScope = 1, kWhen = 2, kCite = 4 };

  struct WithClause {
    Inherits kind;
    antlr4::ParserRuleContext* ctx;  // the withScope/withWhen/withCite context
    Loc loc;
    size_t applied = 0;
  };

  struct Binding {
    std::string var;
    const ast::QName* member;
  };

  const ast::QName* bound(const std::string& name) const {
    for (auto it = forall_.rbegin(); it != forall_.rend(); ++it)
      if (it->var == name) return it->member;
    return nullptr;
  }

  // `{S}` in a string inside `forall S` becomes the member's name.
  std::string interpolate(std::string s) const {
    for (auto it = forall_.rbegin(); it != forall_.rend(); ++it) {
      const std::string key = "{" + it->var + "}";
      const std::string with = it->member->str();
      for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + with.size()))
        s.replace(at, key.size(), with);
    }
    return s;
  }

  void with_block(P::WithBlockContext* w, ast::SpecFile& out) {
    std::vector<WithClause> clauses;
    for (auto* c : w->withClause()) {
      if (dynamic_cast<P::WithScopeContext*>(c)) clauses.push_back({kScope, c, loc(c)});
      else if (dynamic_cast<P::WithWhenContext*>(c)) clauses.push_back({kWhen, c, loc(c)});
      else if (dynamic_cast<P::WithCiteContext*>(c)) clauses.push_back({kCite, c, loc(c)});
    }
    const size_t outer = with_.size();
    for (WithClause& c : clauses) with_.push_back(&c);
    for (auto* d : w->decl()) decl(d, out);
    with_.resize(outer);
    static const char* const what[] = {"", "scope", "when", "", "cite"};
    static const char* const takers[] = {
        "", "checks, nonchecks, transitions, properties and flows that have no `scope` of their own",
        "checks, transitions and properties", "", "checks, nonchecks, transitions, modes, properties, ops, flows, instructions and signals"};
    for (const WithClause& c : clauses)
      if (!c.applied)
        diags_.error(c.loc, std::string("this `") + what[c.kind] + "` applies to no declaration of its `with` block (it goes to " +
                                takers[c.kind] + ")");
  }

  void forall_block(P::ForallBlockContext* fa, ast::SpecFile& out) {
    std::vector<ast::QName> members = forall_head(fa->IDENT(), fa->qname());
    if (members.empty()) return;
    const std::string var = fa->IDENT()->getText();
    // Every id declared inside must name the variable, or the copies collide.
    for_each_id(fa->decl(), [&](P::QnameContext* id) {
      bool names_var = false;
      for (auto* part : id->IDENT()) names_var |= part->getText() == var;
      if (!names_var)
        diags_.error(loc(id), "the id '" + id->getText() + "' does not contain '" + var + "': each member of `forall " +
                                  var + "` would declare the same id");
    });
    for (const ast::QName& m : members) {
      if (!spend(fa)) return;
      forall_.push_back(Binding{var, &m});
      for (auto* d : fa->decl()) decl(d, out);
      forall_.pop_back();
    }
  }

  // The ids of the checks, nonchecks, transitions, modes and properties in
  // `decls`, through nested `with` and `forall` blocks.
  template <class Fn>
  static void for_each_id(const std::vector<P::DeclContext*>& decls, Fn&& fn) {
    for (auto* d : decls) {
      P::QnameContext* id = nullptr;
      if (auto* x = d->checkDecl()) id = x->qname();
      else if (auto* x = d->nonCheckDecl()) id = x->qname();
      else if (auto* x = d->transitionDecl()) id = x->qname();
      else if (auto* x = d->modeDecl()) id = x->qname();
      else if (auto* x = d->propertyDecl()) id = x->qname();
      else if (auto* x = d->withBlock()) for_each_id(x->decl(), fn);
      else if (auto* x = d->forallBlock()) for_each_id(x->decl(), fn);
      if (id) fn(id);
    }
  }

  // Adds the enclosing `with` clauses that this declaration takes: the
  // innermost `scope` where it has none, every `when` (outer first) and-ed
  // before its own, every `cite` before its own.
  void inherit(unsigned takes, std::vector<ast::Text>* scopes, std::vector<ast::ExprPtr>* whens,
               std::vector<ast::Text>* cites) {
    if (with_.empty()) return;
    if ((takes & kScope) && scopes && scopes->empty()) {
      for (auto it = with_.rbegin(); it != with_.rend(); ++it) {
        if ((*it)->kind != kScope) continue;
        auto* x = static_cast<P::WithScopeContext*>((*it)->ctx);
        if (x->IDENT()) scopes->push_back(ast::Text{x->IDENT()->getText(), loc(x->IDENT())});
        ++(*it)->applied;
        break;
      }
    }
    if ((takes & kWhen) && whens) {
      ast::ExprPtr acc;
      for (WithClause* c : with_) {
        if (c->kind != kWhen) continue;
        ast::ExprPtr e = expr(static_cast<P::WithWhenContext*>(c->ctx)->expr());
        if (!e) continue;
        ++c->applied;
        acc = acc ? conjoin(std::move(acc), std::move(e), c->loc) : std::move(e);
      }
      if (acc) {
        if (whens->empty()) whens->push_back(std::move(acc));
        else {
          const Loc own = (*whens)[0]->loc;  // read before the move below
          (*whens)[0] = conjoin(std::move(acc), std::move((*whens)[0]), own);
        }
      }
    }
    if ((takes & kCite) && cites) {
      std::vector<ast::Text> inherited;
      for (WithClause* c : with_) {
        if (c->kind != kCite) continue;
        auto* x = static_cast<P::WithCiteContext*>(c->ctx);
        if (!x->citation()) continue;
        inherited.push_back(citation(x->citation()));
        ++c->applied;
      }
      cites->insert(cites->begin(), inherited.begin(), inherited.end());
    }
  }

  ast::ExprPtr conjoin(ast::ExprPtr a, ast::ExprPtr b, Loc op_loc) {
    auto e = make(ast::Expr::Kind::Binary, a->loc);
    e->op = "&&";
    e->op_loc = op_loc;
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return e;
  }

  // Nested `forall`s multiply: bound the tokens all copies add up to, so
  // that a hostile spec gets an error instead of exhausting memory.
  static constexpr long kMaxExpandedTokens = 2000000;  // the shipped spec expands about 3,000
  long expansion_left_ = kMaxExpandedTokens;

  bool spend(antlr4::ParserRuleContext* copied) {
    if (expansion_left_ < 0) return false;  // reported once
    long tokens = 1;
    if (copied->getStart() && copied->getStop())
      tokens += static_cast<long>(copied->getStop()->getTokenIndex()) - static_cast<long>(copied->getStart()->getTokenIndex());
    expansion_left_ -= std::max(tokens, 1L);
    if (expansion_left_ >= 0) return true;
    diags_.error(loc(copied), "`forall` expands to more than " + std::to_string(kMaxExpandedTokens) +
                                  " tokens: nest fewer `forall`s or list fewer members");
    return false;
  }

  std::vector<WithClause*> with_;  // the enclosing clauses, outermost first
  std::vector<Binding> forall_;    // the enclosing `forall` copies, outermost first

  uint32_t file_;
  Diagnostics& diags_;
};

// The parser, the builder and every later stage recurse over the syntax tree:
// bound how deep and how long a hostile spec can make it before parsing, so
// that it gets an error instead of overflowing the stack.
constexpr size_t kMaxNesting = 256;           // ( [ { levels
constexpr size_t kMaxOperatorsPerItem = 2000;  // operators between two ';'
constexpr size_t kMaxTokens = 1000000;         // the whole spec has about 20,000
constexpr size_t kMaxStrayCharacters = 100;

bool within_limits(const std::vector<antlr4::Token*>& tokens, uint32_t file, Diagnostics& diags) {
  static const std::set<std::string> ops = {"&&", "||", "->", "?", "+", "-", "&", "|", "^", "<<", ">>", "==",
                                            "!=", "<", "<=", ">", ">=", "!", "~", "in"};
  if (tokens.size() > kMaxTokens) {
    antlr4::Token* t = tokens[kMaxTokens];
    diags.error(Loc{file, static_cast<uint32_t>(t->getLine()), static_cast<uint32_t>(t->getCharPositionInLine() + 1)},
                "file too large: more than " + std::to_string(kMaxTokens) + " tokens");
    return false;
  }
  size_t depth = 0, operators = 0, stray = 0;
  for (antlr4::Token* t : tokens) {
    // Garbage (a binary file, a paste gone wrong): say so once, not per byte.
    if (t->getType() == vspec_antlr::VSpecLexer::ERRCHAR && ++stray > kMaxStrayCharacters) {
      diags.error(Loc{file, static_cast<uint32_t>(t->getLine()), static_cast<uint32_t>(t->getCharPositionInLine() + 1)},
                  "more than " + std::to_string(kMaxStrayCharacters) + " characters that are not VSpec: is this a spec file?");
      return false;
    }
    const std::string text = t->getType() == antlr4::Token::EOF ? "" : t->getText();
    Loc at{file, static_cast<uint32_t>(t->getLine()), static_cast<uint32_t>(t->getCharPositionInLine() + 1)};
    if (text == "(" || text == "[" || text == "{") {
      if (++depth > kMaxNesting) {
        diags.error(at, "nesting deeper than " + std::to_string(kMaxNesting) + " levels of (, [ or {");
        return false;
      }
    } else if (text == ")" || text == "]" || text == "}") {
      if (depth) --depth;
    } else if (text == ";") {
      operators = 0;
    } else if (ops.count(text) && ++operators > kMaxOperatorsPerItem) {
      diags.error(at, "more than " + std::to_string(kMaxOperatorsPerItem) +
                          " operators in one item: split it (a def, or several checks)");
      return false;
    }
  }
  return true;
}

}  // namespace

ast::SpecFile parse_file(const SourceManager& sm, uint32_t file_id, Diagnostics& diags) {
  const std::string& text = sm.file(file_id).text;
  // The whole shipped spec is about 150 KB; ANTLR needs ~0.5 s per MB of tokens.
  constexpr size_t kMaxBytes = 4u << 20;
  if (text.size() > kMaxBytes) {
    diags.error(Loc{file_id, 0, 0}, "file too large: " + std::to_string(text.size()) + " bytes (a spec file is at most " +
                                        std::to_string(kMaxBytes >> 20) + " MiB)");
    ast::SpecFile empty;
    empty.file_id = file_id;
    return empty;
  }
  if (size_t bad = find_invalid_utf8(text); bad != std::string::npos) {
    uint32_t line, col;
    offset_to_line_col(text, bad, line, col);
    diags.error(Loc{file_id, line, col}, "file is not valid UTF-8 (byte offset " + std::to_string(bad) + ")");
    ast::SpecFile empty;
    empty.file_id = file_id;
    return empty;
  }
  antlr4::ANTLRInputStream input(text);
  vspec_antlr::VSpecLexer lexer(&input);
  ErrorCollector errors(file_id, diags);
  lexer.removeErrorListeners();
  lexer.addErrorListener(&errors);
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  if (!within_limits(tokens.getTokens(), file_id, diags)) {
    ast::SpecFile empty;
    empty.file_id = file_id;
    return empty;
  }
  P parser(&tokens);
  parser.removeErrorListeners();
  parser.addErrorListener(&errors);
  P::SpecContext* tree = parser.spec();
  Builder b(file_id, diags);
  return b.build(tree);
}

}  // namespace vcpuspec::front
