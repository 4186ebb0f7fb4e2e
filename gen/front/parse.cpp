// Walks ANTLR's parse tree and builds the project's own AST.
#include "front/parse.hpp"

#include <antlr4-runtime.h>

#include <set>

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
    return ast::Text{unquote(n->getText()), loc(n)};
  }
  std::string doc(P::DocContext* d) { return d && d->STRING() ? unquote(d->STRING()->getText()) : ""; }

  ast::QName qname(P::QnameContext* q) {
    ast::QName out;
    if (!q) return out;
    out.loc = loc(q);
    for (auto* id : q->IDENT()) {
      out.parts.push_back(id->getText());
      out.part_locs.push_back(loc(id));
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
    } else if (auto* df = d->defDecl()) {
      ast::DefDecl dd;
      dd.name = df->IDENT() ? df->IDENT()->getText() : "";
      dd.loc = loc(df->IDENT());
      for (auto* prm : df->defParam()) {
        ast::DefParam dp;
        dp.name = prm->IDENT() ? prm->IDENT()->getText() : "";
        dp.loc = loc(prm->IDENT());
        dp.width = integer(prm->INT());
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
      for (auto* c : o->STRING()) od.cites.push_back(text(c));
      od.body = block(o->block());
      if (!od.name.parts.empty()) out.ops.push_back(std::move(od));
    } else if (auto* fl = d->flowDecl()) {
      ast::FlowDecl fd;
      fd.name = qname(fl->qname());
      for (auto* f : fl->formal()) fd.formals.push_back(formal(f));
      fd.doc = doc(fl->doc());
      for (auto* cl : fl->flowClause()) {
        if (auto* x = dynamic_cast<P::FlowCiteContext*>(cl)) fd.cites.push_back(text(x->STRING()));
        else if (auto* x = dynamic_cast<P::FlowKernelContext*>(cl)) fd.kernels.push_back(text(x->STRING()));
        else if (auto* x = dynamic_cast<P::FlowScopeContext*>(cl))
          if (x->IDENT()) fd.scopes.push_back(ast::Text{x->IDENT()->getText(), loc(x->IDENT())});
      }
      fd.body = block(fl->block());
      if (!fd.name.parts.empty()) out.flows.push_back(std::move(fd));
    } else if (auto* pr = d->propertyDecl()) {
      property(pr, out);
    }
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
    if (!b) return out;
    for (auto* st : b->stmt())
      if (auto s = stmt(st)) out.push_back(std::move(s));
    return out;
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
    p.id = qname(pr->qname());
    p.text = text(pr->STRING());
    for (auto* cl : pr->propClause()) {
      if (auto* x = dynamic_cast<P::PropCiteContext*>(cl)) p.cites.push_back(text(x->STRING()));
      else if (auto* x = dynamic_cast<P::PropPatchContext*>(cl)) p.patches.push_back(text(x->STRING()));
      else if (auto* x = dynamic_cast<P::PropNoteContext*>(cl)) p.notes.push_back(text(x->STRING()));
      else if (auto* x = dynamic_cast<P::PropWhenContext*>(cl)) {
        if (auto e = expr(x->expr())) p.whens.push_back(std::move(e));
      } else if (auto* x = dynamic_cast<P::PropScopeContext*>(cl)) {
        if (x->IDENT()) p.scopes.push_back(ast::Text{x->IDENT()->getText(), loc(x->IDENT())});
      }
    }
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
    c.id = qname(d->qname());
    c.text = text(d->STRING());
    clauses(d->checkClause(), c);
    c.assertion = expr(d->expr());
    c.assert_loc = loc(d->expr());
    if (!c.id.parts.empty() && c.assertion) into.push_back(std::move(c));
  }

  void noncheck(P::NonCheckDeclContext* nc, ast::SpecFile& out) {
    ast::CheckDecl c;
    c.loc = loc(nc);
    c.id = qname(nc->qname());
    c.text = text(nc->STRING());
    clauses(nc->checkClause(), c);
    if (!c.id.parts.empty()) out.nonchecks.push_back(std::move(c));
  }

  void transition(P::TransitionDeclContext* tr, ast::SpecFile& out) {
    ast::CheckDecl c;
    c.loc = loc(tr);
    if (!tr->qname() || !tr->onClause()) return;
    c.id = qname(tr->qname());
    auto* on = tr->onClause();
    if (on->IDENT()->getText() != "on") {
      diags_.error(loc(on->IDENT()), "expected `on REGISTER` before `assert` in transition '" + c.id.str() +
                                         "', found '" + on->IDENT()->getText() + "'");
      return;
    }
    for (auto* q : on->qname()) c.on.push_back(qname(q));
    c.text = text(tr->STRING());
    clauses(tr->checkClause(), c);
    c.assertion = expr(tr->expr());
    c.assert_loc = loc(tr->expr());
    if (!c.id.parts.empty() && c.assertion && !c.on.empty()) out.transitions.push_back(std::move(c));
  }

  void clauses(const std::vector<P::CheckClauseContext*>& list, ast::CheckDecl& c) {
    for (auto* cl : list) {
      if (auto* x = dynamic_cast<P::CiteClauseContext*>(cl)) c.cites.push_back(text(x->STRING()));
      else if (auto* x = dynamic_cast<P::ScopeClauseContext*>(cl)) {
        if (x->IDENT()) c.scopes.push_back(ast::Text{x->IDENT()->getText(), loc(x->IDENT())});
      } else if (auto* x = dynamic_cast<P::WhenClauseContext*>(cl)) {
        if (auto e = expr(x->expr())) c.whens.push_back(std::move(e));
      } else if (auto* x = dynamic_cast<P::OverlapsClauseContext*>(cl)) {
        for (auto* q : x->qname()) c.overlaps.push_back(qname(q));
      } else if (auto* x = dynamic_cast<P::NoteClauseContext*>(cl)) {
        c.notes.push_back(text(x->STRING()));
      }
    }
  }

  void state(P::StateDeclContext* st, ast::SpecFile& out) {
    ast::StateDecl s;
    auto ids = st->IDENT();
    if (ids.empty()) return;
    s.name = ids[0]->getText();
    s.loc = loc(ids[0]);
    if (ids.size() > 1) {
      s.prev_name = ids[1]->getText();
      s.prev_loc = loc(ids[1]);
    }
    s.doc = doc(st->doc());
    if (st->STRING()) s.cite = text(st->STRING());
    for (auto* it : st->stateItem()) {
      ast::StateItem item;
      item.loc = loc(it);
      auto cite = [&](P::ItemCiteContext* c) {
        if (c && c->STRING()) item.cite = text(c->STRING());
      };
      if (auto* x = dynamic_cast<P::LikeItemContext*>(it)) {
        if (!x->IDENT()) continue;
        item.kind = ast::StateItem::Kind::Like;
        item.like_name = x->IDENT()->getText();
      } else if (auto* x = dynamic_cast<P::KeepItemContext*>(it)) {
        item.kind = ast::StateItem::Kind::Keep;
        for (auto* q : x->qname()) item.targets.push_back(qname(q));
        cite(x->itemCite());
      } else if (auto* x = dynamic_cast<P::UnspecifiedItemContext*>(it)) {
        item.kind = ast::StateItem::Kind::Unspecified;
        for (auto* q : x->qname()) item.targets.push_back(qname(q));
        cite(x->itemCite());
      } else if (auto* x = dynamic_cast<P::AssignItemContext*>(it)) {
        item.kind = ast::StateItem::Kind::Assign;
        item.targets.push_back(qname(x->qname()));
        item.value = expr(x->expr());
        if (!item.value) continue;
        cite(x->itemCite());
      } else if (auto* x = dynamic_cast<P::StructItemContext*>(it)) {
        item.kind = ast::StateItem::Kind::StructAssign;
        item.targets.push_back(qname(x->qname()));
        for (auto* m : x->memberInit()) {
          ast::MemberInit mi;
          mi.member = qname(m->qname());
          mi.value = expr(m->expr());
          if (mi.value && !mi.member.parts.empty()) item.members.push_back(std::move(mi));
        }
        cite(x->itemCite());
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
